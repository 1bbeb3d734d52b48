#!/usr/bin/env python3
"""Turn guest consoles into test results, and results into a matrix.

  report.py guest DIR      classify the tests of one boot (DIR holds
                           console.log, host.log, outcome and expected, as written
                           by scripts/boot-guest.sh); writes DIR/results.json
                           and DIR/state.txt, prints a summary
  report.py matrix DIR [CELL...]
                           gather every results.json under DIR (only those
                           of the CELLs, <variant>/<env>[@<Xen>] paths
                           under DIR, if given); print the environment x
                           test matrix, one table per kernel and Xen;
                           write DIR/summary.json, DIR/results.tap and
                           DIR/junit.xml

The most severe status decides a cell's and the run's verdict, and the
exit code: SKIP, PASS and XFAIL exit 0; FAIL, MISSING, TIMEOUT and CRASH
exit 1.  A skip is the least severe: it leaves the verdict of the tests
that ran, and a cell or run is SKIP only when nothing in it ran.  A test
that cannot apply in an environment is not run there (boot-guest.sh
leaves it out of the expected tests) and shows "-" in the matrix.
"""

import fnmatch
import functools
import json
import os
import re
import sys
from xml.sax.saxutils import escape, quoteattr

# Severity order: the most severe status of a set wins.
# XFAIL: a known failure, marked "# TODO" by the test or listed in
# scripts/known-failures with its reason; shown, but not failing the run.
SEVERITY = ["SKIP", "PASS", "XFAIL", "FAIL", "MISSING", "TIMEOUT", "CRASH"]
BAD = {"FAIL", "CRASH", "TIMEOUT", "MISSING"}
# What a run's verdict says, where its word alone could mislead.
VERDICT_MEANING = {
    "PASS": "every test that applies passed",
    "XFAIL": "every test that applies passed, but for failures that "
             "scripts/known-failures or the test itself explains",
    "SKIP": "no test ran",
}
KSFT_SKIP = 4
KILLED_BY_TIMEOUT = 128 + 9

TEST_LINE = re.compile(r"@@T (\S+): (.*)$")
TEST_END = re.compile(r"@@TEST (\S+) rc=(\d+) secs=(\d+)")
STATE_LINE = re.compile(r"@@S (.*)$")
STATE_JSON = re.compile(r"@@J (.*)$")
TAP_RESULT = re.compile(r"^(not ok|ok)\b(.*)$")
TAP_PLAN = re.compile(r"^1\.\.(\d+)")


SCRIPTS_DIR = os.path.dirname(os.path.abspath(__file__))
KNOWN_FAILURES = os.path.join(SCRIPTS_DIR, "known-failures")
ENVS_SH = os.path.join(SCRIPTS_DIR, "lib", "envs.sh")
COMMON_SH = os.path.join(SCRIPTS_DIR, "lib", "common.sh")
XEN_VERSIONS_SH = os.path.join(SCRIPTS_DIR, "lib", "xen-versions.sh")
VARIANTS_SH = os.path.join(SCRIPTS_DIR, "lib", "variants.sh")


def known_failures(path=KNOWN_FAILURES):
    """[(base, variant, env, test, reason)] from scripts/known-failures."""
    entries = []
    if not os.path.exists(path):
        return entries
    with open(path) as f:
        for line in f:
            fields = line.split(None, 4)
            if fields and not fields[0].startswith("#") and len(fields) == 5:
                entries.append(tuple(fields[:4]) + (fields[4].strip(),))
    return entries


def excuse(result, entries):
    """A FAIL that scripts/known-failures lists becomes XFAIL."""
    if result["status"] != "FAIL":
        return result
    cell = (result.get("base"), result.get("variant"), result.get("env"), result["test"])
    for entry in entries:
        if all(fnmatch.fnmatchcase(str(v), pat) for v, pat in zip(cell, entry[:4])):
            return dict(result, status="XFAIL",
                        detail="known: %s (%s)" % (entry[4], result["detail"]))
    return result


def worst(statuses):
    return max(statuses, key=SEVERITY.index, default="PASS")


def read_console(path):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    return unsplice_xen(text.replace("\r", "").split("\n"))


# Messages written whole into the console while a guest writes its lines:
# Xen's, and the dom0's about the events it makes for a domU and about a
# domU whose console went quiet (scripts/guest/dom0-init).
SPLICED = re.compile(r"\(XEN\) |dom0: event |dom0: domU |dom0:   ")


def unsplice_xen(lines):
    """Xen and the guest share the serial line, and Xen writes a message
    of its own whole, between two characters of a guest line ("@@T a:
    ok 3 x" becoming "@@T a: o(XEN) uart interrupt ..." and "k 3 x"):
    put the message on a line of its own and the guest line together.
    The dom0 of the domU environments does the same with its event lines
    and its dump of a quiet domU."""
    out, head = [], ""
    for line in lines:
        line, head = head + line, ""
        m = SPLICED.search(line, 1)
        cut = m.start() if m else -1
        if cut > 0:
            out.append(line[cut:])
            head = line[:cut]
            continue
        out.append(line)
    if head:
        out.append(head)
    return out


def parse_guest_lines(lines):
    """Return ({test: [tap lines]}, {test: (rc, secs)}, [state lines])."""
    tap, ends, state = {}, {}, []
    for line in lines:
        m = TEST_LINE.search(line)
        if m:
            tap.setdefault(m.group(1), []).append(m.group(2))
            continue
        m = TEST_END.search(line)
        if m:
            ends[m.group(1)] = (int(m.group(2)), int(m.group(3)))
            continue
        m = STATE_LINE.search(line)
        if m:
            state.append(m.group(1))
    return tap, ends, state


def state_json(lines):
    """The guest's state (x86-guest-state --json: the module's attributes
    and what the command reads beside them) from its first "@@J" line: a
    dict, or None when the guest printed none (the module did not load,
    or the cell was not booted)."""
    for line in lines:
        m = STATE_JSON.search(line)
        if m:
            try:
                return json.loads(m.group(1))
            except ValueError:
                return {"unparsed": m.group(1)}
    return None


def tap_verdict(lines):
    """Status and a one-line reason from a test's TAP output."""
    plan, passed, failed, skipped, todo = None, 0, [], 0, []
    for line in lines:
        m = TAP_PLAN.match(line)
        if m:
            plan = int(m.group(1))
            continue
        m = TAP_RESULT.match(line)
        if not m:
            continue
        directive = m.group(2).upper()
        if "# SKIP" in directive:
            skipped += 1
        elif "# TODO" in directive:
            todo.append(line)
        elif m.group(1) == "ok":
            passed += 1
        else:
            failed.append(line)
    if failed:
        return "FAIL", failed[0]
    done = passed + skipped + len(todo)
    if plan is not None and done < plan:
        return "FAIL", "plan 1..%d but %d results" % (plan, done)
    if plan is None and done == 0:
        return "FAIL", "no TAP results"
    if todo:
        return "XFAIL", todo[0]
    return "PASS", "%d passed, %d skipped" % (passed, skipped)


def classify(test, tap, ends, outcome, hang=None):
    if test not in ends:
        if outcome == "finished":
            return "MISSING", "the guest finished without reporting it"
        if outcome == "timeout":
            return "TIMEOUT", "the guest hung before reporting it" + (
                " (%s)" % hang if hang else "")
        if outcome == "interrupted":
            return "MISSING", "the boot was interrupted before the guest reported it"
        return "CRASH", "the guest crashed before reporting it"
    rc, _ = ends[test]
    lines = tap.get(test, [])
    if rc == KSFT_SKIP:
        reason = next((l for l in lines if "SKIP" in l.upper()), "exit 4")
        return "SKIP", reason
    if rc == KILLED_BY_TIMEOUT:
        return "TIMEOUT", "killed by the per-test timeout"
    if rc > 128:
        return "CRASH", "killed by signal %d" % (rc - 128)
    status, reason = tap_verdict(lines)
    if rc != 0:
        return "FAIL", "exit status %d; %s" % (rc, reason)
    return status, reason


def why_lines(lines, count=25):
    """The console lines that explain a crash or hang."""
    useful = [l for l in lines if l.strip() and not l.startswith("@@")]
    return useful[-count:]


def read_retried(outdir):
    """Why each boot of the cell but the last was repeated, one line a
    boot, as scripts/boot-guest.sh wrote them."""
    path = os.path.join(outdir, "retried")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [l for l in f.read().splitlines() if l.strip()]


def guest(outdir):
    lines = read_console(os.path.join(outdir, "console.log"))
    host = os.path.join(outdir, "host.log")
    if os.path.exists(host):
        lines += read_console(host)
    with open(os.path.join(outdir, "outcome")) as f:
        outcome = f.read().strip()
    with open(os.path.join(outdir, "expected")) as f:
        expected = [t for t in f.read().split() if t]
    tap, ends, state = parse_guest_lines(lines)
    meta = cell_meta(outdir)
    results = []
    entries = known_failures()
    skipped = os.path.join(outdir, "skipped")
    hang = None
    if os.path.exists(os.path.join(outdir, "console.timeout")):
        with open(os.path.join(outdir, "console.timeout")) as f:
            hang = f.read().strip()
    for test in expected + sorted(set(ends) - set(expected)):
        if outcome == "skipped":
            with open(skipped) as f:
                status, reason = "SKIP", "not booted: " + f.read().strip()
        else:
            status, reason = classify(test, tap, ends, outcome, hang)
        rc, secs = ends.get(test, (None, None))
        results.append(excuse(dict(meta, test=test, status=status, rc=rc,
                                   secs=secs, detail=reason, tap=tap.get(test, [])),
                              entries))
    retried_lines = read_retried(outdir)
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump({"outcome": outcome, "state": state_json(lines),
                   "results": results}, f, indent=1)
    with open(os.path.join(outdir, "state.txt"), "w") as f:
        f.write("\n".join(state) + ("\n" if state else ""))
    for r in results:
        if r["status"] != "PASS":
            print("    %-8s %s: %s" % (r["status"], r["test"], r["detail"]))
    for line in retried_lines:
        print("    booted again after %s" % line)
    if outcome not in ("finished", "skipped"):
        print("    guest %s; the console's last lines:" % outcome)
        for line in why_lines(lines):
            print("    | " + line)
    status = worst([r["status"] for r in results] or ["MISSING"])
    print("    %s: %s (%d tests)" % (cell_key(meta), status, len(results)))
    return 1 if status in BAD else 0


def gather(topdir, cells=None, states=None, boots=None):
    """The results of every cell under topdir, or of the cells named; the
    module's state of each cell that reported one goes into states, and
    the boots each cell took, with why each was repeated, into boots,
    both keyed by "<base>/<variant>/<env>"."""
    results = []
    for root, _, files in sorted(os.walk(topdir)):
        if cells is not None and os.path.relpath(root, topdir) not in cells:
            continue
        if "results.json" in files:
            with open(os.path.join(root, "results.json")) as f:
                cell = json.load(f)
            results.extend(cell["results"])
            r = cell["results"][0] if cell["results"] else None
            key = cell_key(r) if r else None
            if states is not None and cell.get("state") is not None and key:
                states[key] = cell["state"]
            if boots is not None and key and cell.get("outcome") != "skipped":
                retried = read_retried(root)
                boots[key] = {"boots": 1 + len(retried), "retried": retried}
    return results


def cell_meta(outdir):
    """Base, variant, environment and Xen version of a cell, from its
    directory: <base>/<variant>/<env>[@<Xen>] (scripts/lib/envs.sh,
    cell_name); no Xen for a cell that boots none."""
    base, variant, name = (outdir.rstrip("/").split("/")[-3:] + [None] * 3)[:3]
    env, _, xen = (name or "").partition("@")
    return {"base": base, "variant": variant, "env": env, "xen": xen or None}


def cell_key(r):
    """<base>/<variant>/<env>[@<Xen>], as the cell's directory is named."""
    key = "%s/%s/%s" % (r["base"], r["variant"], r["env"])
    return key + "@" + r["xen"] if r.get("xen") else key


def lane_of(r):
    return (r["base"], r["variant"], r.get("xen"))


def lanes_of(results):
    """The tables of the matrix: one per base, kernel variant and Xen
    version.  A cell that boots no Xen (native) goes in the first table
    of its kernel that has one, or in a table of its own."""
    xen_lanes = sorted({lane_of(r) for r in results if r.get("xen")}, key=lane_order)
    home = {}
    for r in results:
        lane = lane_of(r)
        if not lane[2]:
            lane = next((l for l in xen_lanes if l[:2] == lane[:2]), lane)
        home[id(r)] = lane
    return sorted(set(home.values()), key=lane_order), home


def test_order(results, home):
    """Every test once, in the order the guests of the first lane report
    them: a test is in the same row of every matrix."""
    order = []
    for r in sorted(results, key=lambda r: (lane_order(home[id(r)]), env_order(r["env"]))):
        if r["test"] not in order:
            order.append(r["test"])
    return order


def print_matrix(results, boots=None):
    """One table per lane: a row per test, a column per environment, and
    a last row with the boots each cell took (more than one: the boot was
    repeated, see docs/verdicts.md; "-": not booted)."""
    boots = boots or {}
    lanes, home = lanes_of(results)
    order = test_order(results, home)
    for lane in lanes:
        base, variant, xen = lane
        cells = [r for r in results if home[id(r)] == lane]
        envs = sorted({r["env"] for r in cells}, key=env_order)
        keys = {r["env"]: cell_key(r) for r in cells}
        tests = [t for t in order if any(r["test"] == t for r in cells)]
        width = max(len(t) for t in tests + ["test"]) + 2
        print("\nLinux %s, %s%s:" % (base, variant, ", Xen " + xen if xen else ""))
        print("  " + "test".ljust(width) + "".join(e.ljust(15) for e in envs))
        for t in tests:
            row = {r["env"]: r["status"] for r in cells if r["test"] == t}
            print("  " + t.ljust(width) + "".join(row.get(e, "-").ljust(15) for e in envs))
        counts = [boots.get(keys[e]) for e in envs]
        print("  " + "boots".ljust(width) + "".join(
            (str(c["boots"]) if c else "-").ljust(15) for c in counts))


@functools.lru_cache(maxsize=None)
def harness_list(path, name):
    """The words of the array NAME=(...) of a harness script."""
    with open(path) as f:
        found = re.search(r"^%s=\(([^)]*)\)" % name, f.read(), re.M)
    if not found:
        sys.exit("report.py: no %s=(...) in %s" % (name, path))
    return found.group(1).split()


def order_in(known, word):
    return (known.index(word) if word in known else len(known), word)


def env_order(env):
    """The order of ALL_ENVS in scripts/lib/envs.sh."""
    return order_in(harness_list(ENVS_SH, "ALL_ENVS"), env)


def lane_order(lane):
    """Bases in the order of KNOWN_BASES (the primary one first), the
    newest Xen first, and variants in the order of ALL_VARIANTS
    (unpatched first): the order in which scripts/check.sh and
    scripts/run-matrix.sh boot them."""
    base, variant, xen = lane
    xens = harness_list(XEN_VERSIONS_SH, "KNOWN_XENS")[::-1]
    return (order_in(harness_list(COMMON_SH, "KNOWN_BASES"), base),
            order_in(xens, xen or ""),
            order_in(harness_list(VARIANTS_SH, "ALL_VARIANTS"), variant))


def skip_reason(detail):
    """The reason of a skip, without the TAP plan line it came from."""
    return re.sub(r"^(1\.\.0\s*)?#\s*SKIP\s*", "", detail) or detail


def todo_reason(detail):
    """The reason of a known failure: what follows a TAP line's # TODO."""
    found = re.search(r"#\s*TODO\s*(.*)$", detail)
    return found.group(1) if found and found.group(1) else detail


def write_tap(results, path):
    with open(path, "w") as f:
        f.write("TAP version 13\n1..%d\n" % len(results))
        for i, r in enumerate(results, 1):
            name = "%s/%s" % (cell_key(r), r["test"])
            ok = "not ok" if r["status"] in BAD or r["status"] == "XFAIL" else "ok"
            directive = ""
            if r["status"] == "SKIP":
                directive = " # SKIP " + skip_reason(r["detail"])
            elif r["status"] == "XFAIL":
                directive = " # TODO " + todo_reason(r["detail"])
            f.write("%s %d - %s%s\n" % (ok, i, name, directive))
            if r["status"] in BAD:
                f.write("  ---\n  status: %s\n  detail: %s\n  ...\n"
                        % (r["status"], json.dumps(r["detail"])))


def write_junit(results, path):
    suites = {}
    for r in results:
        suites.setdefault(cell_key(r), []).append(r)
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"]
    for name, cases in sorted(suites.items()):
        bad = sum(r["status"] in BAD for r in cases)
        skipped = sum(r["status"] in ("SKIP", "XFAIL") for r in cases)
        out.append("  <testsuite name=%s tests=\"%d\" failures=\"%d\" skipped=\"%d\">"
                   % (quoteattr(name), len(cases), bad, skipped))
        for r in cases:
            out.append("    <testcase classname=%s name=%s time=\"%s\">"
                       % (quoteattr(name), quoteattr(r["test"]), r["secs"] or 0))
            if r["status"] in BAD:
                out.append("      <failure type=%s message=%s>%s</failure>"
                           % (quoteattr(r["status"]), quoteattr(r["detail"]),
                              escape("\n".join(r["tap"]))))
            elif r["status"] == "SKIP":
                out.append("      <skipped message=%s/>" % quoteattr(skip_reason(r["detail"])))
            elif r["status"] == "XFAIL":
                # JUnit has no expected failure: a skip that says so.
                out.append("      <skipped type=\"xfail\" message=%s/>"
                           % quoteattr("known failure: " + todo_reason(r["detail"])))
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def repeated_boots(boots):
    """Repeated boots per environment, over every lane and Xen version:
    {env: count}."""
    per_env = {}
    for key, b in boots.items():
        env = key.split("/")[-1].partition("@")[0]
        per_env[env] = per_env.get(env, 0) + b["boots"] - 1
    return {e: n for e, n in sorted(per_env.items(), key=lambda i: env_order(i[0]))}


def print_repeated(boots, repeated):
    total = sum(repeated.values())
    if not total:
        print("repeated boots: none")
        return
    print("repeated boots: %d (%s)" % (total, ", ".join(
        "%s %d" % (e, n) for e, n in repeated.items() if n)))
    for key in sorted(boots):
        for line in boots[key]["retried"]:
            print("  %s: %s" % (key, line))


def matrix(topdir, cells=None):
    states, boots = {}, {}
    results = gather(topdir, cells, states, boots)
    if not results:
        print("no results under %s" % topdir)
        return 1
    print_matrix(results, boots)
    repeated = repeated_boots(boots)
    print()
    print_repeated(boots, repeated)
    status = worst(r["status"] for r in results)
    counts = {s: sum(r["status"] == s for r in results)
              for s in ["PASS", "XFAIL", "SKIP"] + SEVERITY[3:]}
    with open(os.path.join(topdir, "summary.json"), "w") as f:
        json.dump({"verdict": status, "counts": counts, "states": states,
                   "boots": boots, "repeated_boots": repeated,
                   "results": results}, f, indent=1)
    write_tap(results, os.path.join(topdir, "results.tap"))
    write_junit(results, os.path.join(topdir, "junit.xml"))
    print("\n%s" % ", ".join("%d %s" % (n, s) for s, n in counts.items() if n))
    print("%d passed, %d failed, %d skipped" % (
        counts["PASS"] + counts["XFAIL"], sum(counts[s] for s in BAD), counts["SKIP"]))
    meaning = VERDICT_MEANING[status] + "; " if status in VERDICT_MEANING else ""
    print("verdict: %s (%sresults: %s/summary.json, results.tap, junit.xml)"
          % (status, meaning, topdir))
    return 1 if status in BAD else 0


def main(argv):
    if len(argv) < 3 or argv[1] not in ("guest", "matrix") or (
            argv[1] == "guest" and len(argv) != 3):
        sys.stderr.write(__doc__)
        return 2
    if argv[1] == "guest":
        return guest(argv[2])
    return matrix(argv[2], set(argv[3:]) if len(argv) > 3 else None)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Tables, ratios and a chart from the runs of scripts/bench.sh.

  bench-report.py [--out DIR] RUN_DIR...

Each RUN_DIR is one whole benchmark run, holding <variant>/<env>/ as
scripts/boot-guest.sh writes it (results.json, state.txt).  The guest
program, bench/io_switch_bench, reports one "# run NAME RUN OPS NS" line
per timed run; a cell is the median, minimum and maximum of NS/OPS over
the runs of one boot, in guest nanoseconds (instructions under
"-icount shift=0").

Printed, and written to DIR/report.txt (with the numbers in
DIR/report.json and the chart in DIR/io-switch.png, drawn by gnuplot):
  - per run and environment, each benchmark on the unpatched and the
    patched kernel, each I/O-privilege round trip as a ratio to the plain
    one of the same kernel and environment, and patched/unpatched;
  - whether the runs agree: every cell's median within 0.5% of run 1's;
  - the project's targets, each with its numbers and whether it holds.

Exit status: 0 when every boot of every run gave numbers, 1 otherwise
(a crashed, hung or failed guest is reported as such, never as numbers).
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

ENVS = ["native", "xen-pv", "xen-pv-nopti", "xen-pv-legacy", "xen-pvh"]
VARIANTS = ["unpatched", "patched"]
BENCHES = [
    ("pipe_plain", "round trip, plain <-> plain"),
    ("pipe_iopl", "round trip, iopl(3) <-> iopl(3)"),
    ("pipe_ioperm", "round trip, ioperm <-> ioperm"),
    ("pipe_ioperm_plain", "round trip, ioperm <-> plain"),
    ("pipe_iopl_plain", "round trip, iopl(3) <-> plain"),
    ("iopl_call", "iopl() call"),
    ("ioperm_call", "ioperm() call"),
    ("outb_ioperm", "outb 0x80, ioperm"),
    ("outb_iopl", "outb 0x80, iopl(3)"),
    ("getppid", "getppid() call"),
]
LABEL = dict(BENCHES)
SWITCHES = ["pipe_iopl", "pipe_ioperm", "pipe_ioperm_plain", "pipe_iopl_plain"]
SWITCH_SHORT = {"pipe_iopl": "iopl", "pipe_ioperm": "ioperm",
                "pipe_ioperm_plain": "ioperm-plain", "pipe_iopl_plain": "iopl-plain"}
# Round trips of the patched kernel in xen-pv, at most this many times the
# plain one.
SWITCH_LIMITS = (("pipe_iopl", 1.005), ("pipe_ioperm", 1.015), ("pipe_ioperm_plain", 1.010))
TEST = "io_switch_bench"
AGREE = 0.005
RUN_LINE = re.compile(r"^# run (\S+) (\d+) (\d+) (\d+)$")


def load_cell(path):
    """One boot: its status and, when it ran, ns/op per benchmark and run."""
    cell = {"status": "MISSING", "detail": "no results (the guest did not boot?)",
            "iopl_mode": None, "runs": {}}
    results = os.path.join(path, "results.json")
    if not os.path.exists(results):
        return cell
    with open(results) as f:
        data = json.load(f)
    mine = [r for r in data["results"] if r["test"] == TEST]
    if not mine:
        cell["detail"] = "guest %s without running %s" % (data["outcome"], TEST)
        return cell
    r = mine[0]
    cell["status"], cell["detail"] = r["status"], r["detail"]
    if data["outcome"] != "finished" and r["status"] == "PASS":
        cell["status"] = data["outcome"].upper()
    for line in r["tap"]:
        m = RUN_LINE.match(line)
        if m:
            ops, ns = int(m.group(3)), int(m.group(4))
            cell["runs"].setdefault(m.group(1), []).append(ns / ops)
    state = os.path.join(path, "state.txt")
    if os.path.exists(state):
        with open(state) as f:
            for line in f:
                fields = line.split(None, 1)
                if len(fields) == 2 and fields[0] == "iopl_mode":
                    cell["iopl_mode"] = fields[1].strip()
    if cell["status"] == "PASS":
        cell["stats"] = {name: {"median": statistics.median(v), "min": min(v),
                                "max": max(v), "n": len(v)}
                         for name, v in cell["runs"].items()}
    return cell


def load_run(rundir):
    """{(variant, env): cell} for one whole benchmark run."""
    run = {}
    for variant in sorted(os.listdir(rundir)):
        vdir = os.path.join(rundir, variant)
        if variant not in VARIANTS or not os.path.isdir(vdir):
            continue
        for env in os.listdir(vdir):
            run[(variant, env)] = load_cell(os.path.join(vdir, env))
    return run


def envs_of(runs):
    found = {env for run in runs for (_, env) in run}
    return sorted(found, key=lambda e: (ENVS.index(e) if e in ENVS else 99, e))


def median(cell, name):
    stats = (cell or {}).get("stats") or {}
    return stats.get(name, {}).get("median")


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt_ns(v):
    if v is None:
        return "-"
    return "%.0f" % v if v >= 1000 else "%.1f" % v


def fmt_ratio(v):
    return "-" if v is None else "%.3f" % v


def fmt_cell(cell, name):
    if not cell:
        return "-"
    if cell["status"] != "PASS":
        return cell["status"]
    s = cell["stats"].get(name)
    if not s:
        return "-"
    return "%s (%s-%s)" % (fmt_ns(s["median"]), fmt_ns(s["min"]), fmt_ns(s["max"]))


def run_table(run, envs):
    """The table of one run, one block per environment."""
    out = []
    head = "  %-32s %-20s %7s   %-20s %7s %8s" % (
        "", "unpatched ns", "x plain", "patched ns", "x plain", "p/u")
    for env in envs:
        cells = {v: run.get((v, env)) for v in VARIANTS}
        # A kernel without the mode has no iopl_mode line; runs recorded
        # while the module still created the file there say "unsupported".
        modes = ", ".join("%s %s" % (v, c["iopl_mode"]) for v, c in cells.items()
                          if c and c["iopl_mode"] and
                          not c["iopl_mode"].startswith("unsupported"))
        out.append("%s%s" % (env, "  (iopl_mode: %s)" % modes if modes else ""))
        out.append(head)
        for name, label in BENCHES:
            row = "  %-32s" % label
            for v in VARIANTS:
                plain = ratio(median(cells[v], name), median(cells[v], "pipe_plain"))
                row += " %-20s %7s  " % (fmt_cell(cells[v], name),
                                         fmt_ratio(plain) if name in SWITCHES else "")
            row += " %7s" % fmt_ratio(ratio(median(cells["patched"], name),
                                            median(cells["unpatched"], name)))
            out.append(row.rstrip())
        for v in VARIANTS:
            c = cells[v]
            if c and c["status"] != "PASS":
                out.append("  %s: %s: %s" % (v, c["status"], c["detail"]))
        out.append("")
    return out


def agreement(runs, envs):
    """Lines on how far each cell's median moved from run 1, and a verdict."""
    out, agree = [], True
    if len(runs) < 2:
        return ["Run to run: one run only, nothing to compare."], None
    out.append("Run to run: largest difference of a median from run 1's "
               "(agree: within %.1f%%)" % (AGREE * 100))
    out.append("  %-15s %-10s %-28s %s" % ("environment", "kernel", "largest difference", "agree"))
    for env in envs:
        for v in VARIANTS:
            worst, where, missing = 0.0, "", False
            for other in runs[1:]:
                for name, _ in BENCHES:
                    a, b = median(runs[0].get((v, env)), name), median(other.get((v, env)), name)
                    if a is None or b is None:
                        missing = True
                        continue
                    d = b / a - 1
                    if abs(d) > abs(worst) or not where:
                        worst, where = d, name
            if missing:
                out.append("  %-15s %-10s %-28s %s" % (env, v, "cells without numbers", "no"))
                agree = False
                continue
            ok = abs(worst) <= AGREE
            agree = agree and ok
            out.append("  %-15s %-10s %-28s %s" % (env, v, "%+.3f%% (%s)" % (worst * 100, where),
                                                   "yes" if ok else "no"))
    out.append("The runs %s." % ("agree in every cell" if agree else "do NOT agree in every cell"))
    return out, agree


def spread(values):
    return "%s to %s" % (fmt_ratio(min(values)), fmt_ratio(max(values)))


def noise(runs, env):
    """The largest run-to-run move of a median in an environment."""
    worst = 0.0
    for v in VARIANTS:
        for name, _ in BENCHES:
            for other in runs[1:]:
                a, b = median(runs[0].get((v, env)), name), median(other.get((v, env)), name)
                if a and b:
                    worst = max(worst, abs(b / a - 1))
    return worst


def load_baseline(path):
    """Run 1 of an earlier report.json: {(variant, env): cell}."""
    with open(path) as f:
        cells = json.load(f)["runs"][0]["cells"]
    return {tuple(k.split("/", 1)): c for k, c in cells.items()}


def target_lines(runs, baseline=None):
    """The project's targets, checked on run 1 (agreement on all runs)."""
    run, out, checks = runs[0], [], []

    def check(holds, text):
        checks.append(holds)
        out.append("  %-5s %s" % ("holds" if holds else "MISS", text))

    def per_bench(num, den, den_run=run):
        return {name: r for name, _ in BENCHES
                for r in [ratio(median(run.get(num), name), median(den_run.get(den), name))]
                if r is not None}

    for env in ("native", "xen-pvh"):
        ratios = per_bench(("patched", env), ("unpatched", env))
        if not ratios:
            continue
        bad = ["%s %s" % (n, fmt_ratio(r)) for n, r in ratios.items() if not 0.99 <= r <= 1.01]
        check(not bad and len(ratios) == len(BENCHES),
              "%s: patched/unpatched within 0.99..1.01 on every benchmark: %s%s"
              % (env, spread(ratios.values()), "; outside: " + ", ".join(bad) if bad else ""))
        drift = noise(runs, env)
        if drift > 0.01:
            out.append("        (%s medians move by up to %.1f%% from run to run, more than "
                       "the 1%% band)" % (env, drift * 100))
    cell = run.get(("patched", "xen-pv"))
    for name, limit in SWITCH_LIMITS:
        r = ratio(median(cell, name), median(cell, "pipe_plain"))
        if r is not None:
            check(r <= limit, "xen-pv patched: %s round trip %sx plain (at most %.3f)"
                  % (SWITCH_SHORT[name], fmt_ratio(r), limit))
    ratios = per_bench(("patched", "xen-pv-legacy"), ("unpatched", "xen-pv"))
    if ratios:
        bad = ["%s %s" % (n, fmt_ratio(r)) for n, r in ratios.items() if r > 1 + AGREE]
        check(not bad and len(ratios) == len(BENCHES),
              "xen-pv-legacy patched / xen-pv unpatched at most %.3f (no worse, within "
              "the run-to-run tolerance) on every benchmark: %s%s"
              % (1 + AGREE, spread(ratios.values()), "; worse: " + ", ".join(bad) if bad else ""))
    for env in envs_of([run]) if baseline else ():
        ratios = per_bench(("patched", env), ("patched", env), baseline)
        if not ratios:
            continue
        bad = ["%s %s" % (n, fmt_ratio(r)) for n, r in ratios.items() if r > 1 + AGREE]
        check(not bad, "%s patched / baseline patched at most %.3f on every benchmark both "
              "have: %s%s" % (env, 1 + AGREE, spread(ratios.values()),
                              "; worse: " + ", ".join(bad) if bad else ""))
    if len(runs) > 1:
        worst, where = 0.0, ""
        for env in ("native", "xen-pv"):
            for v in VARIANTS:
                for name, _ in BENCHES:
                    for other in runs[1:]:
                        a, b = median(run.get((v, env)), name), median(other.get((v, env)), name)
                        if a is None or b is None:
                            worst, where = float("inf"), "%s %s %s has no numbers" % (env, v, name)
                            continue
                        if abs(b / a - 1) > abs(worst):
                            worst, where = b / a - 1, "%s %s %s" % (env, v, name)
        check(abs(worst) <= AGREE, "native and xen-pv cells within %.1f%% run to run: "
              "largest %+.3f%% (%s)" % (AGREE * 100, worst * 100, where))
    if not checks:
        return ["Targets: no cell to check."]
    return (["Targets (ratios of run 1):"] + out +
            ["%d of %d targets hold." % (sum(checks), len(checks))])


def chart(run, envs, png):
    """Two panels: each switch against plain, and patched/unpatched."""
    if not shutil.which("gnuplot"):
        return "gnuplot not found (scripts/install-deps.sh installs gnuplot-nox); no chart"
    base = png[:-len(".png")] if png.endswith(".png") else png
    with open(base + "-switch.dat", "w") as f:
        f.write("label unpatched patched\n")
        for env in envs:
            for name in SWITCHES:
                vals = [ratio(median(run.get((v, env)), name),
                              median(run.get((v, env)), "pipe_plain")) for v in VARIANTS]
                f.write('"%s\\n%s" %s\n' % (env.replace("-legacy", "\\nlegacy"), SWITCH_SHORT[name],
                                            " ".join("%.4f" % x if x else "NaN" for x in vals)))
    with open(base + "-pu.dat", "w") as f:
        f.write("label %s\n" % " ".join(envs))
        for name, label in BENCHES:
            vals = [ratio(median(run.get(("patched", e)), name),
                          median(run.get(("unpatched", e)), name)) for e in envs]
            f.write('"%s" %s\n' % (name.replace("_", "\\\\_"),
                                   " ".join("%.4f" % x if x else "NaN" for x in vals)))
    script = """
set terminal pngcairo size 1400,1100 font ",11"
set output '{png}'
set multiplot layout 2,1
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set grid ytics
set key outside right top vertical
set datafile missing 'NaN'
set offsets 0, 0, 0.01, 0
set title "I/O-privilege round trip / plain round trip, same kernel and environment (lower is better, 1 = free)"
set ylabel "ratio"
set yrange [0.95:*]
set bmargin 5
plot '{sw}' using 2:xtic(1) title columnheader(2), '' using 3 title columnheader(3), 1 notitle lc rgb 'black'
set title "patched / unpatched, per benchmark and environment (below 1: the series is faster)"
set xtics rotate by -20
set yrange [*:*]
plot for [i=2:{ncol}] '{pu}' using i:xtic(1) title columnheader(i), 1 notitle lc rgb 'black'
unset multiplot
""".format(png=png, sw=base + "-switch.dat", pu=base + "-pu.dat", ncol=len(envs) + 1)
    with open(base + ".gp", "w") as f:
        f.write(script)
    res = subprocess.run(["gnuplot", base + ".gp"], capture_output=True, text=True)
    if res.returncode != 0:
        return "gnuplot failed: %s" % res.stderr.strip()
    return "chart: %s" % png


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="write report.txt, report.json and io-switch.png here")
    ap.add_argument("--baseline", help="report.json of an earlier run: its patched kernel "
                    "is the one to be no worse than")
    ap.add_argument("--xen", help="the Xen version the Xen environments booted")
    ap.add_argument("rundirs", nargs="+")
    args = ap.parse_args(argv[1:])

    runs = [load_run(d) for d in args.rundirs]
    envs = envs_of(runs)
    lines = ["Guest nanoseconds per operation under -icount shift=0: median "
             "(min-max) of the runs in one boot;", "round trips on one vCPU, "
             "x plain = the round trip over the plain one, p/u = patched/unpatched."]
    if args.xen:
        lines.append("The Xen environments ran on Xen %s; native on QEMU alone." % args.xen)
    lines.append("")
    for i, run in enumerate(runs, 1):
        lines.append("Run %d (%s)" % (i, args.rundirs[i - 1]))
        lines.append("")
        lines += run_table(run, envs)
    agree_lines, agree = agreement(runs, envs)
    baseline = load_baseline(args.baseline) if args.baseline else None
    if baseline:
        lines += ["Baseline: run 1 of %s" % args.baseline, ""]
    lines += agree_lines + [""] + target_lines(runs, baseline)
    complete = all(c["status"] == "PASS" for run in runs for c in run.values()) and \
        all(run for run in runs)
    if not complete:
        lines += ["", "INCOMPLETE: some boots gave no numbers (above)."]
    if args.out:
        lines += ["", chart(runs[0], envs, os.path.join(args.out, "io-switch.png"))]
    print("\n".join(lines))
    if args.out:
        with open(os.path.join(args.out, "report.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(os.path.join(args.out, "report.json"), "w") as f:
            json.dump({"runs": [{"dir": d, "cells": {"%s/%s" % k: c for k, c in run.items()}}
                                for d, run in zip(args.rundirs, runs)],
                       "xen": args.xen, "agree": agree}, f, indent=1)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Where the vCPUs of a hung guest are: ask QEMU's monitor.

  guest-cpu-state.py SOCKET [SYMBOLS...]

SOCKET is the Unix socket of QEMU's human monitor (boot-guest.sh starts
every guest with one).  Prints "info registers -a", then each vCPU's
instruction pointer, privilege level and whether it is halted, with the
symbol it falls in, looked up in the SYMBOLS files (System.map
of the kernel, or "nm" output of Xen), if any.

A monitor that does not answer within MONITOR_WAIT seconds (10) means
that QEMU itself is stuck, not the guest: that is said, and the exit
status is 2.  Exit status 1: no monitor at SOCKET.
"""

import bisect
import os
import re
import socket
import sys
import time

PROMPT = b"(qemu) "
# "RIP=..." in long mode, "EIP=..." below it; then the flags, CPL and
# whether the vCPU sits in HLT.
IP_RE = re.compile(r"^[RE]IP=([0-9a-f]+) .*(CPL=[0-3]) .*(HLT=[01])", re.M)


def read_until_prompt(sock, deadline):
    data = b""
    while not data.endswith(PROMPT):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        sock.settimeout(left)
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the monitor closed its socket")
        data += chunk
    return data[: -len(PROMPT)].decode("utf-8", "replace")


def ask(path, command, wait):
    deadline = time.monotonic() + wait
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(wait)
        sock.connect(path)
        read_until_prompt(sock, deadline)
        sock.sendall(command.encode() + b"\n")
        answer = read_until_prompt(sock, deadline)
    # The monitor echoes the command line first (with terminal escapes).
    return answer.split("\n", 1)[1] if "\n" in answer else answer


def load_symbols(paths):
    """The text symbols, sorted, and every symbol's address by name."""
    text, names = [], {}
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    parts = line.split()
                    if len(parts) < 3:
                        continue
                    addr = int(parts[0], 16)
                    names.setdefault(parts[2], addr)
                    if parts[1] in "tTwW":
                        text.append((addr, parts[2]))
        except (OSError, ValueError):
            continue
    text.sort()
    return text, names


def gate_target(sock_path, idt, wait):
    """The handler of vector 0 in the IDT at idt, or None."""
    try:
        dump = ask(sock_path, "x /2gx 0x%x" % idt, wait)
        low, high = (int(w, 16) for w in re.findall(r"0x([0-9a-f]{16})", dump)[:2])
    except (OSError, TimeoutError, ValueError):
        return None
    if not (low >> 47) & 1 or (low >> 40) & 0x1E != 0x0E:
        return None  # not a present interrupt or trap gate
    return (low & 0xFFFF) | ((low >> 48) << 16) | ((high & 0xFFFFFFFF) << 32)


def kaslr_slide(sock_path, regs, names, wait):
    """How far the kernel was moved (KASLR), from a vCPU's IDT: the IDT's
    base is one of the kernel's tables early in boot, and its vector 0 leads
    to asm_exc_divide_error once the kernel's own IDT is loaded.  A slide is
    a multiple of 2 MiB (CONFIG_PHYSICAL_ALIGN); 0 when nothing fits."""
    found = []
    for base in re.findall(r"^IDT=\s+([0-9a-f]+)", regs, re.M):
        idt = int(base, 16)
        found += [idt - names[n] for n in ("idt_table", "bringup_idt_table") if n in names]
        if "asm_exc_divide_error" in names:
            handler = gate_target(sock_path, idt, wait)
            if handler:
                found.append(handler - names["asm_exc_divide_error"])
    for slide in found:
        if slide % 0x200000 == 0 and abs(slide) < 1 << 32:
            return slide
    return 0


# Where Xen's code is mapped (XEN_VIRT_START and the 1 GiB after it); Xen's
# binary is stripped, so its addresses are only said to be Xen's.
XEN_TEXT = range(0xFFFF82D040000000, 0xFFFF82D080000000)


def symbolize(table, addr):
    i = bisect.bisect_right(table, (addr, "\U0010ffff")) - 1
    if i < 0 or addr - table[i][0] > 0x100000:
        return "(Xen)" if addr in XEN_TEXT else "?"
    return "%s+0x%x" % (table[i][1], addr - table[i][0])


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 1
    wait = float(os.environ.get("MONITOR_WAIT", "10"))
    try:
        regs = ask(argv[1], "info registers -a", wait)
    except TimeoutError:
        print("QEMU's monitor did not answer within %gs: QEMU itself is stuck" % wait)
        return 2
    except OSError as e:
        print("no answer from QEMU's monitor at %s: %s" % (argv[1], e))
        return 1
    print(regs.strip("\r\n"))
    text, names = load_symbols(argv[2:])
    slide = kaslr_slide(argv[1], regs, names, wait) if names else 0
    if slide:
        print("KASLR slide: 0x%x" % slide)
    for cpu, (ip, cpl, hlt) in enumerate(IP_RE.findall(regs)):
        where = symbolize(text, int(ip, 16) - slide)
        print("vCPU %d: IP %s %s %s %s" % (cpu, ip, cpl, hlt, where))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

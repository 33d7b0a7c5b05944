#!/usr/bin/env python3
"""Where can a Cortex-M image still panic? Lists every call to a panic entry
point in an ELF, with the source location (inlined frames included) of each
call site, and checks the call graph for cycles (recursion).

    scripts/panic-callers.py IMAGE [--cycles]

Needs llvm-objdump and llvm-addr2line (Debian's `llvm` package). Used on the
`diagnose` build of tests/panic-never (see docs/reliability.md).
"""
import re
import subprocess
import sys
from collections import defaultdict

PANIC = re.compile(
    r"^(core::panicking::|core::slice::index::|core::option::(unwrap|expect)_failed"
    r"|core::result::unwrap_failed|core::cell::panic|core::str::slice_error_fail"
    r"|rust_begin_unwind|__rustc::rust_begin_unwind)"
)
FUNC = re.compile(r"^([0-9a-f]+) <(.*)>:$")
CALL = re.compile(r"^\s*([0-9a-f]+):\s+(bl|b|blx|b\.[a-z]+|beq|bne)\s+(?:0x)?([0-9a-f]+)\s+<([^>]*)>")


def strip_hash(name):
    return re.sub(r"::h[0-9a-f]{16}$", "", name)


def disassemble(image):
    out = subprocess.run(
        ["llvm-objdump", "-d", "--no-show-raw-insn", "-C", image],
        check=True, capture_output=True, text=True,
    ).stdout
    calls = defaultdict(list)  # caller -> [(site, callee)]
    branches = defaultdict(list)  # target address -> [source addresses]
    starts = {}
    current = None
    indirect = defaultdict(int)
    for line in out.splitlines():
        m = FUNC.match(line)
        if m:
            if not m.group(2).startswith("$"):  # $t / $d: ARM mapping symbols
                current = strip_hash(m.group(2))
                starts[current] = int(m.group(1), 16)
            continue
        if current is None:
            continue
        b = re.match(r"^\s*([0-9a-f]+):\s+b[a-z.]*\s+(?:0x)?([0-9a-f]+)(\s|$)", line)
        if b:
            branches[int(b.group(2), 16)].append(int(b.group(1), 16))
        m = CALL.match(line)
        # A call or tail call lands on a function's first instruction; a
        # target with an offset is a jump inside a function (Thumb-1 also
        # uses `bl` for long jumps).
        if m and not re.search(r"\+0x[0-9a-f]+$", m.group(4)) and not m.group(4).startswith("$"):
            calls[current].append((int(m.group(1), 16), strip_hash(m.group(4))))
        elif re.search(r"\sblx\s+r\d", line):
            indirect[current] += 1
    return calls, indirect, branches


def where(image, address):
    out = subprocess.run(
        ["llvm-addr2line", "-f", "-i", "-C", "-e", image, hex(address)],
        check=True, capture_output=True, text=True,
    ).stdout.splitlines()
    frames = []
    for func, loc in zip(out[0::2], out[1::2]):
        short = re.sub(r"^.*?/(core|library|src)/", r"\1/", loc)
        frames.append(f"{strip_hash(func)} at {short}")
    return frames


def main():
    image = sys.argv[1]
    calls, indirect, branches = disassemble(image)
    sites = []
    for caller, targets in calls.items():
        if PANIC.match(caller):
            continue
        for site, callee in targets:
            if PANIC.match(callee):
                sites.append((caller, site, callee))
    print(f"{len(sites)} call sites of panic entry points")
    for caller, site, callee in sorted(sites):
        print(f"\n{caller} -> {callee} at {site:#x}")
        for frame in where(image, site):
            print(f"    {frame}")
        # A call shared by several checks: show the branches that reach it.
        for target in range(site - 6, site + 1, 2):
            for source in branches.get(target, []):
                print(f"  reached by a branch at {source:#x}:")
                for frame in where(image, source)[:4]:
                    print(f"      {frame}")
    if "--cycles" in sys.argv:
        # Tarjan's strongly connected components over direct calls (bl only).
        graph = {c: sorted({t for _, t in ts}) for c, ts in calls.items()}
        index, low, stack, on, sccs = {}, {}, [], set(), []
        counter = [0]

        def visit(v):
            work = [(v, iter(graph.get(v, [])))]
            index[v] = low[v] = counter[0]
            counter[0] += 1
            stack.append(v)
            on.add(v)
            while work:
                node, it = work[-1]
                advanced = False
                for w in it:
                    if w not in index:
                        index[w] = low[w] = counter[0]
                        counter[0] += 1
                        stack.append(w)
                        on.add(w)
                        work.append((w, iter(graph.get(w, []))))
                        advanced = True
                        break
                    elif w in on:
                        low[node] = min(low[node], index[w])
                if advanced:
                    continue
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    self_loop = node in graph.get(node, [])
                    if len(comp) > 1 or self_loop:
                        sccs.append(comp)

        for v in list(graph):
            if v not in index:
                visit(v)
        print(f"\ncall-graph cycles (recursion): {len(sccs)}")
        for comp in sccs:
            print("    " + " <-> ".join(sorted(comp)))
        print(f"functions with indirect calls (blx rN): {len(indirect)}")
        for f, n in sorted(indirect.items()):
            print(f"    {f}: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

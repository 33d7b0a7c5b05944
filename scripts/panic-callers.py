#!/usr/bin/env python3
"""Where can a Cortex-M image still panic? Lists every call to a panic entry
point in an ELF, with the source location (inlined frames included) of each
call site, checks the call graph for cycles (recursion), and bounds the
worst-case stack of each function from its frame size (read from its Thumb
prologue) and its callees'.

    scripts/panic-callers.py IMAGE [--cycles] [--stack ROOT...]

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
    frames = defaultdict(int)  # function -> bytes its prologue reserves
    in_prologue = False
    literal_reg = {}  # register -> literal address, in the prologue
    current = None
    indirect = defaultdict(int)
    for line in out.splitlines():
        m = FUNC.match(line)
        if m:
            if not m.group(2).startswith("$"):  # $t / $d: ARM mapping symbols
                current = strip_hash(m.group(2))
                starts[current] = int(m.group(1), 16)
                in_prologue = True
                literal_reg = {}
            continue
        if current is not None and in_prologue:
            ins = line.split("\t")
            text = " ".join(x.strip() for x in ins[1:]) if len(ins) > 1 else ""
            if text.startswith("push"):
                frames[current] += 4 * (text.count(",") + 1)
            elif re.match(r"sub\s+sp, #(\d+)", text):
                frames[current] += int(re.match(r"sub\s+sp, #(\d+)", text).group(1))
            elif re.match(r"ldr\s+(r\d), \[pc, #\d+\]\s+@ 0x([0-9a-f]+)", text):
                m2 = re.match(r"ldr\s+(r\d), \[pc, #\d+\]\s+@ 0x([0-9a-f]+)", text)
                literal_reg[m2.group(1)] = int(m2.group(2), 16)
            elif re.match(r"add\s+sp, (r\d)$", text) and re.match(r"add\s+sp, (r\d)$", text).group(1) in literal_reg:
                value = word(image, literal_reg[re.match(r"add\s+sp, (r\d)$", text).group(1)])
                if value >= 1 << 31:
                    frames[current] += (1 << 32) - value
            elif text.startswith("b") or text.startswith("pop") or text.startswith("bx"):
                in_prologue = False
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
    return calls, indirect, branches, frames, starts


_SECTIONS = {}


def word(image, address):
    """The little-endian 32-bit word at `address` in the image's sections."""
    import struct
    if image not in _SECTIONS:
        data = open(image, "rb").read()
        shoff, = struct.unpack_from("<I", data, 0x20)
        shentsize, shnum = struct.unpack_from("<HH", data, 0x2E)
        sections = []
        for i in range(shnum):
            _, _, _, addr, off, size = struct.unpack_from("<IIIIII", data, shoff + i * shentsize)
            if addr:
                sections.append((addr, off, size))
        _SECTIONS[image] = (data, sections)
    data, sections = _SECTIONS[image]
    for addr, off, size in sections:
        if addr <= address < addr + size:
            return struct.unpack_from("<I", data, off + address - addr)[0]
    return 0


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
    calls, indirect, branches, frames, starts = disassemble(image)
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
    if "--stack" in sys.argv:
        roots = sys.argv[sys.argv.index("--stack") + 1:]
        graph = {c: sorted({t for _, t in ts}) for c, ts in calls.items()}
        # Indirect calls go through tables of leaf functions (the detection
        # parameters' field accessors): charge the largest leaf frame.
        leaves = [f for f in starts if not graph.get(f)]
        indirect_cost = max((frames[f] for f in leaves), default=0)
        memo = {}

        def worst(f, depth=0):
            if f in memo:
                return memo[f]
            if depth > 200:
                raise SystemExit(f"call chain too deep at {f}: recursion?")
            below = max((worst(c, depth + 1) for c in graph.get(f, [])), default=0)
            if indirect.get(f):
                below = max(below, indirect_cost)
            memo[f] = frames[f] + below
            return memo[f]

        def path(f):
            chain = [f]
            while graph.get(chain[-1]):
                chain.append(max(graph[chain[-1]], key=lambda c: memo.get(c, worst(c))))
            return chain

        print(f"\nworst-case stack (frame + deepest callee chain; indirect calls charged {indirect_cost} B):")
        for root in roots:
            matches = [f for f in starts if f == root or f.endswith("::" + root)]
            for f in matches:
                below = worst(f) - frames[f]
                print(f"    {f}: {worst(f)} B ({frames[f]} B its own frame, {below} B below it)")
                for g in path(f)[1:8]:
                    print(f"        {frames[g]:>5} B  {g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

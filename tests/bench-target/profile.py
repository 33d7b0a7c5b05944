#!/usr/bin/env python3
"""Where the instructions of a measurement go: maps the address histogram
that `rp2040-run.mjs --profile FILE` writes to functions and source lines
(with inlining) through llvm-addr2line, and prints the heaviest.

    python3 profile.py PROFILE.json [LABEL-PREFIX] [--top N]
"""
import collections
import json
import re
import shutil
import subprocess
import sys


def main(argv):
    if not argv or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    top = 25
    if "--top" in argv:
        i = argv.index("--top")
        top = int(argv[i + 1])
        del argv[i : i + 2]
    path, prefix = argv[0], (argv[1] if len(argv) > 1 else "")
    addr2line = shutil.which("llvm-addr2line") or shutil.which("addr2line")
    if addr2line is None:
        print("profile.py: needs llvm-addr2line (Debian package llvm)", file=sys.stderr)
        return 2
    with open(path) as f:
        document = json.load(f)
    image = document["image"]
    for label, counts in document["profile"].items():
        if not label.startswith(prefix):
            continue
        addresses = list(counts)
        out = subprocess.run(
            [addr2line, "-a", "-f", "-i", "-C", "-e", image] + addresses,
            capture_output=True, text=True, check=True,
        ).stdout
        # With -a, llvm-addr2line prints each address, then (function,
        # file:line) pairs from the innermost inlined frame outwards.
        blocks = []
        for line in out.splitlines():
            if line.startswith("0x"):
                blocks.append([])
            elif blocks and line:
                blocks[-1].append(line)
        total = sum(counts.values())
        by_function = collections.Counter()
        by_line = collections.Counter()
        by_core_entry = collections.Counter()
        by_our_function = collections.Counter()
        for address, block in zip(addresses, blocks):
            lines = block
            frames = [(lines[i], lines[i + 1]) for i in range(0, len(lines) - 1, 2)]
            n = counts[address]
            inner_fn, inner_loc = frames[0]
            by_function[short(inner_fn)] += n
            by_line[f"{short(inner_fn)} @ {trim(inner_loc)}"] += n
            # The innermost frame of tabletalk's own code: where in the core
            # the time goes, library helpers (slices, integer methods)
            # charged to their caller.
            ours = [f for f in frames if f[0].startswith(("tabletalk_", "target_cost"))]
            if ours:
                by_core_entry[f"{short(ours[0][0])} @ {trim(ours[0][1])}"] += n
                by_our_function[short(ours[0][0]).replace("::_{{closure}}", "")] += n
            else:
                by_our_function[f"(called, not inlined) {short(inner_fn)}"] += n
        print(f"== {label}: {total} instructions")
        for title, counter in (("tabletalk function (helpers charged to it)", by_our_function),
                               ("innermost function", by_function),
                               ("tabletalk line (helpers charged to it)", by_core_entry),
                               ("source line", by_line)):
            print(f"-- by {title}")
            for name, n in counter.most_common(top):
                print(f"{100 * n / total:6.1f}%  {name}")
    return 0


def short(name):
    """Demangles what addr2line left in legacy form and drops noise."""
    for code, text in (("$LT$", "<"), ("$GT$", ">"), ("$u20$", " "), ("$u7b$", "{"),
                       ("$u7d$", "}"), ("$RF$", "&"), ("$u5b$", "["), ("$u5d$", "]"),
                       ("$C$", ","), ("..", "::"), ("_<", "<")):
        name = name.replace(code, text)
    name = re.sub(r"::h[0-9a-f]{16}$", "", name)
    for noise in ("tabletalk_core::", "core::"):
        name = name.replace(noise, "")
    return name[:100]


def trim(location):
    for marker in ("/library/", "/core/src/", "/src/"):
        cut = location.find(marker)
        if cut >= 0:
            return location[cut + 1:]
    return location.rsplit("/", 1)[-1]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Prints an ARM ELF image's flash and static RAM use against a budget.

    scripts/firmware-size.py IMAGE.elf [--flash-kib 128] [--ram-kib 64]

Like `size` (text, data, bss), from the ELF section headers, with no tool
but Python's standard library:

  text  allocated sections placed in flash (vector table, code, read-only
        data, the RP2040's boot2)
  data  initialised RAM (.data): its image is stored in flash too
  bss   zeroed and uninitialised RAM (.bss, .uninit)

flash = text + data, static RAM = data + bss (the stack and the executor's
task arenas are in .bss or take what remains). Exits 1 if either is over
its budget, 2 if the file is not a 32-bit little-endian ELF.
"""

import argparse
import struct
import sys

SHF_ALLOC = 0x2
SHT_NOBITS = 8
# Where the RP2040 (and most Cortex-M parts) map flash and RAM.
FLASH = range(0x0000_0000, 0x2000_0000)
RAM = range(0x2000_0000, 0x4000_0000)


def sections(image):
    """(name, type, flags, address, size) of every section."""
    if image[:4] != b"\x7fELF" or image[4] != 1 or image[5] != 1:
        raise ValueError("not a 32-bit little-endian ELF file")
    (shoff,) = struct.unpack_from("<I", image, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", image, 0x2E)
    headers = [
        struct.unpack_from("<IIIIIIIIII", image, shoff + i * shentsize)
        for i in range(shnum)
    ]
    names_offset = headers[shstrndx][4]

    def name(offset):
        end = image.index(b"\0", names_offset + offset)
        return image[names_offset + offset : end].decode()

    for h in headers:
        sh_name, sh_type, sh_flags, sh_addr, _off, sh_size = h[:6]
        yield name(sh_name), sh_type, sh_flags, sh_addr, sh_size


def measure(path):
    with open(path, "rb") as f:
        image = f.read()
    text = data = bss = 0
    for name, kind, flags, address, size in sections(image):
        if not flags & SHF_ALLOC or size == 0:
            continue
        if address in FLASH:
            text += size
        elif address in RAM:
            if kind == SHT_NOBITS:
                bss += size
            else:
                data += size
    return text, data, bss


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image")
    parser.add_argument("--flash-kib", type=int, default=128)
    parser.add_argument("--ram-kib", type=int, default=64)
    args = parser.parse_args()
    try:
        text, data, bss = measure(args.image)
    except (OSError, ValueError, struct.error) as e:
        print(f"firmware-size: {args.image}: {e}", file=sys.stderr)
        return 2
    flash, ram = text + data, data + bss
    flash_budget, ram_budget = args.flash_kib * 1024, args.ram_kib * 1024
    print(f"{'text':>10} {'data':>10} {'bss':>10}  file")
    print(f"{text:>10} {data:>10} {bss:>10}  {args.image}")
    over = False
    for what, used, budget in (("flash", flash, flash_budget), ("static RAM", ram, ram_budget)):
        verdict = "ok" if used <= budget else "OVER BUDGET"
        over |= used > budget
        print(
            f"{what:>10}: {used:>7} B = {used / 1024:6.1f} KiB of {budget // 1024} KiB"
            f" ({100 * used / budget:5.1f}%)  {verdict}"
        )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())

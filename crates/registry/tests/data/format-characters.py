"""Writes format-characters.txt: every code point of general category Cf, Zl or Zp, as ranges,
from Python's unicodedata (a peer to rsmev-registry's own table in src/ident.rs).

Run from the repository root:
    python3 crates/registry/tests/data/format-characters.py > crates/registry/tests/data/format-characters.txt
"""
import sys
import unicodedata

print("# Code points of general category Cf, Zl or Zp (first last category), Unicode %s, made by"
      % unicodedata.unidata_version)
print("# Python %s unicodedata: python3 crates/registry/tests/data/format-characters.py"
      % sys.version.split()[0])
ranges = []
for cp in range(0x110000):
    cat = unicodedata.category(chr(cp))
    if cat in ("Cf", "Zl", "Zp"):
        if ranges and ranges[-1][1] == cp - 1 and ranges[-1][2] == cat:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp, cat])
for first, last, cat in ranges:
    print("%04X %04X %s" % (first, last, cat))

#!/usr/bin/env python3
"""uncut.py IN OUT: the full-length variant of a cut HDF5 file with a raised base address.

Sets the superblock's base address (version 0, 8-byte addresses: offset 24) back to 0 and pads
the file with that many zero bytes, so it has its stored length again and passes signsnet's
superblock check: what HDF5 does with its damaged content then is HDF5's own (README.md).
"""
import struct
import sys

src, dst = sys.argv[1], sys.argv[2]
data = bytearray(open(src, "rb").read())
assert data[:8] == b"\x89HDF\r\n\x1a\n" and data[8] == 0 and data[13] == 8, "not a v0 superblock"
(base,) = struct.unpack_from("<Q", data, 24)
struct.pack_into("<Q", data, 24, 0)
data += bytes(base)
open(dst, "wb").write(data)
print(f"{dst}: base address {base} -> 0, {len(data)} bytes")

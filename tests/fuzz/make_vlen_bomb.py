#!/usr/bin/env python3
"""make_vlen_bomb.py IN OUT: a checkpoint whose train_config string declares 1.5 GiB.

IN is a checkpoint written by signsnet with train_config {"epochs":1} (as make_seeds writes
build-fuzz/seeds/checkpoint/*.h5). On disk a variable-length string is its length (4 bytes), the
global heap's address (8) and the object's index (4); only the length is changed. HDF5 allocates
and clears the declared length before it reads the string (README.md, issue 3).
"""
import struct
import sys

src, dst = sys.argv[1], sys.argv[2]
data = bytearray(open(src, "rb").read())
text = b'{"epochs":1}'
heap = data.find(b"GCOL")
# A global heap object: index (2), reference count (2), reserved (4), size (8), then the data.
obj = data.find(text, heap) - 16
(index,) = struct.unpack_from("<H", data, obj)
at = data.find(struct.pack("<IQI", len(text), heap, index))
assert heap > 0 and at > 0, "no train_config string found"
struct.pack_into("<I", data, at, 0x60000000)
open(dst, "wb").write(data)
print(f"{dst}: train_config declares {0x60000000} bytes (length field at offset {at})")

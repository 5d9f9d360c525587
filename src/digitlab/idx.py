"""The IDX file format of MNIST, read and written exactly.

An IDX file is a 4-byte magic number ``00 00 TT DD`` (``TT`` the element type,
``DD`` the number of dimensions), then ``DD`` big-endian uint32 dimension sizes,
then the elements in C order, big-endian. Files ending in ``.gz`` (or starting
with the gzip magic) are gzip-compressed.

>>> write_idx("labels.idx1", np.array([5, 0, 4], dtype=np.uint8))
>>> read_idx("labels.idx1")
array([5, 0, 4], dtype=uint8)
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from ._io import atomic_write_bytes, read_regular
from .errors import IDXFormatError

__all__ = ["IDXFormatError", "read_idx", "write_idx", "parse_idx", "encode_idx", "read_bytes"]

# type code -> big-endian NumPy dtype, as the format defines them
TYPE_CODES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_OF_KIND = {(dt.kind, dt.itemsize): code for code, dt in TYPE_CODES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


MAX_BYTES = 1 << 30   # the largest IDX content read (1 GiB; MNIST's training images are 47 MB)
MAX_DIMS = 32         # the most dimensions a NumPy array can have on every supported NumPy


def read_bytes(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> bytes:
    """Return the decompressed IDX bytes of ``path`` (raw, or gzip by magic).

    Only a regular file is read (a FIFO or device is refused, never waited on),
    and at most ``max_bytes``: a gzip stream is inflated only as far as its IDX
    header declares. Raises IDXFormatError for an empty file, a damaged gzip
    stream, or content over the limit.
    """
    path = Path(path)
    data = read_regular(path, max_bytes + (max_bytes >> 4) + 1024, IDXFormatError, "IDX file")
    if not data:
        raise IDXFormatError(f"{path}: file is empty (expected an IDX header of at least 4 bytes)")
    if data[:2] == _GZIP_MAGIC:
        header = _gunzip(data, path, 4 + 4 * 255)  # enough for any header
        declared = _declared_size(header, str(path))
        if declared is not None and declared > max_bytes:
            raise IDXFormatError(f"{path}: header declares {declared:,} bytes of IDX data; at most {max_bytes:,} "
                                 "are read")
        data = _gunzip(data, path, declared if declared is not None else max_bytes)
        if declared is not None and len(data) > declared:
            raise IDXFormatError(f"{path}: data has trailing bytes: the header declares {declared:,} bytes in all")
        if not data:
            raise IDXFormatError(f"{path}: gzip holds an empty file (expected an IDX header)")
    elif path.suffix == ".gz":
        raise IDXFormatError(f"{path}: name ends in .gz but the file is not gzip (magic {data[:2].hex()}, expected 1f8b)")
    elif len(data) > max_bytes:
        raise IDXFormatError(f"{path}: {len(data):,} bytes of IDX data; at most {max_bytes:,} are read")
    return data


def _gunzip(data: bytes, path: Path, limit: int) -> bytes:
    """The first ``limit`` + 1 decompressed bytes at most of a (multi-member) gzip stream; a
    stream that ends early or fails its CRC raises IDXFormatError."""
    out, rest = bytearray(), data
    try:
        while rest and len(out) <= limit:
            d = zlib.decompressobj(wbits=31)
            out += d.decompress(rest, limit + 1 - len(out))
            while d.unconsumed_tail and len(out) <= limit:
                out += d.decompress(d.unconsumed_tail, limit + 1 - len(out))
            if len(out) > limit:
                break
            if not d.eof:
                raise IDXFormatError(f"{path}: gzip stream is truncated (it ends before its end-of-stream marker)")
            rest = d.unused_data
    except zlib.error as e:
        raise IDXFormatError(f"{path}: gzip data is corrupt ({e})") from None
    return bytes(out)


def _declared_size(data: bytes, name: str) -> int | None:
    """Header plus data bytes that an IDX header declares; None when ``data`` is too short to say."""
    if len(data) < 4 or data[3] > MAX_DIMS or data[2] not in TYPE_CODES:
        return None  # parse_idx explains what is wrong
    ndim = data[3]
    if len(data) < 4 + 4 * ndim:
        return None
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    return 4 + 4 * ndim + math.prod(shape) * TYPE_CODES[data[2]].itemsize


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode IDX bytes into a writeable native-endian array.

    ``name`` only labels error messages. The result has the shape the header
    declares and the native-endian version of the declared element type.
    """
    if len(data) < 4:
        raise IDXFormatError(f"{name}: not an IDX file: {len(data)} bytes is shorter than the 4-byte IDX magic number")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0:
        raise IDXFormatError(f"{name}: not an IDX file: bad magic number 0x{data[:4].hex()} "
                             "(expected 0x0000TTDD: two zero bytes, type, ndim)")
    if code not in TYPE_CODES:
        known = ", ".join(f"0x{c:02X}" for c in TYPE_CODES)
        raise IDXFormatError(f"{name}: unknown IDX type code 0x{code:02X} (expected one of {known})")
    if ndim > MAX_DIMS:
        raise IDXFormatError(f"{name}: header declares {ndim} dimensions (expected at most {MAX_DIMS})")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise IDXFormatError(
            f"{name}: header declares {ndim} dimensions, needing {header_len} bytes, but the file has only {len(data)}"
        )
    shape = struct.unpack(f">{ndim}I", data[4:header_len])
    dtype = TYPE_CODES[code]
    expected = math.prod(shape) * dtype.itemsize  # Python ints: no overflow, whatever the header says
    actual = len(data) - header_len
    if actual != expected:
        what = "truncated" if actual < expected else "has trailing bytes"
        raise IDXFormatError(
            f"{name}: data {what}: shape {shape} of {dtype.name} needs {expected:,} bytes after the header, found {actual:,}"
        )
    if math.prod(n for n in shape if n) * dtype.itemsize > np.iinfo(np.intp).max:
        raise IDXFormatError(f"{name}: shape {shape} has no elements but sizes too large for an array "
                             "(each size times the others must fit in memory)")
    array = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # copies: native order and writeable


def read_idx(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> np.ndarray:
    """Read a raw or gzip-compressed IDX file (at most ``max_bytes`` of content) into a NumPy array."""
    return parse_idx(read_bytes(path, max_bytes), str(path))


def encode_idx(array: np.ndarray) -> bytes:
    """Encode ``array`` as IDX bytes (header and big-endian data)."""
    array = np.asarray(array)
    code = _CODE_OF_KIND.get((array.dtype.kind, array.dtype.itemsize))
    if code is None or array.dtype.kind not in "uif":
        raise IDXFormatError(
            f"cannot write dtype {array.dtype} as IDX (expected uint8, int8, int16, int32, float32 or float64)"
        )
    if array.ndim > MAX_DIMS:
        raise IDXFormatError(f"cannot write {array.ndim} dimensions as IDX (at most {MAX_DIMS})")
    if any(n > 0xFFFFFFFF for n in array.shape):
        raise IDXFormatError(f"cannot write shape {array.shape} as IDX (each size must fit in uint32)")
    header = struct.pack(f">HBB{array.ndim}I", 0, code, array.ndim, *array.shape)
    return header + np.ascontiguousarray(array, dtype=TYPE_CODES[code]).tobytes()


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file, gzip-compressed if ``path`` ends in .gz.

    The write is atomic: readers see either the old file or the whole new one.
    """
    data = encode_idx(array)
    if str(path).endswith(".gz"):
        data = gzip.compress(data, compresslevel=6, mtime=0)
    atomic_write_bytes(path, data)

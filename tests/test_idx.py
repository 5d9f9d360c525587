import gzip

import numpy as np
import pytest

from digitlab.idx import IDXFormatError, encode_idx, read_idx, write_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]
SHAPES = [(0,), (7,), (3, 4), (2, 3, 5), (2, 1, 3, 2), (1, 1, 1, 1, 2, 3)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip_every_type_and_shape(tmp_path, dtype, shape, suffix):
    rng = np.random.default_rng(0)
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    if info:
        a = rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
    else:
        a = rng.standard_normal(shape).astype(dtype) * 1e3
    path = tmp_path / f"a.idx{suffix}"
    write_idx(path, a)
    b = read_idx(path)
    assert b.dtype == np.dtype(dtype) and b.shape == a.shape
    np.testing.assert_array_equal(a, b)
    assert b.flags.writeable
    if suffix:
        assert path.read_bytes()[:2] == b"\x1f\x8b"


def test_header_is_big_endian_as_specified():
    data = encode_idx(np.array([[1, 2], [3, 4]], dtype=np.int16))
    assert data == bytes([0, 0, 0x0B, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 0, 2, 0, 3, 0, 4])


def test_reads_real_mnist_labels_header():
    import digitlab.datasets.mnist as m
    from pathlib import Path

    bundled = m.SPEC.local_dirs[0][0]
    labels = read_idx(Path(bundled) / "t10k-labels-idx1-ubyte.gz")
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    images = read_idx(Path(bundled) / "t10k-images-idx3-ubyte.gz")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8


def test_reads_fashion_mnist_from_debian():
    from digitlab.datasets.fashion_mnist import SYSTEM_DIR

    if not SYSTEM_DIR.is_dir():
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    labels = read_idx(SYSTEM_DIR / "train-labels-idx1-ubyte.gz")
    assert labels.shape == (60000,) and labels[:5].tolist() == [9, 0, 0, 3, 0]
    images = read_idx(SYSTEM_DIR / "t10k-images-idx3-ubyte.gz")
    assert images.shape == (10000, 28, 28)


def _bad(tmp_path, data: bytes, name="bad.idx"):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(IDXFormatError) as e:
        read_idx(path)
    assert str(path) in str(e.value)
    return str(e.value)


def test_wrong_magic(tmp_path):
    assert "bad magic" in _bad(tmp_path, b"\x01\x00\x08\x01" + b"\x00\x00\x00\x01" + b"\x05")


def test_wrong_type_code(tmp_path):
    assert "type code 0x0A" in _bad(tmp_path, b"\x00\x00\x0a\x01" + b"\x00\x00\x00\x01" + b"\x05")


def test_shorter_than_magic(tmp_path):
    assert "shorter than the 4-byte" in _bad(tmp_path, b"\x00\x00")


def test_header_shorter_than_dimensions(tmp_path):
    assert "3 dimensions" in _bad(tmp_path, b"\x00\x00\x08\x03" + b"\x00\x00\x00\x02" + b"\x00\x00")


def test_truncated_data(tmp_path):
    data = encode_idx(np.zeros((4, 5), np.uint8))
    assert "truncated" in _bad(tmp_path, data[:-3])


def test_trailing_bytes(tmp_path):
    data = encode_idx(np.zeros((4, 5), np.float32))
    assert "trailing bytes" in _bad(tmp_path, data + b"\x00")


def test_empty_file(tmp_path):
    assert "empty" in _bad(tmp_path, b"")


def test_gzip_crc_error(tmp_path):
    gz = bytearray(gzip.compress(encode_idx(np.arange(100, dtype=np.uint8))))
    gz[-8] ^= 0xFF  # the CRC32 in the gzip trailer
    assert "corrupt" in _bad(tmp_path, bytes(gz), "bad.idx.gz")


def test_gzip_truncated_eof(tmp_path):
    gz = gzip.compress(encode_idx(np.arange(1000, dtype=np.int32)))
    assert "truncated" in _bad(tmp_path, gz[: len(gz) // 2], "bad.idx.gz")


def test_gz_name_without_gzip_content(tmp_path):
    assert "not gzip" in _bad(tmp_path, encode_idx(np.zeros(3, np.uint8)), "plain.gz")


def test_gzip_of_empty_file(tmp_path):
    assert "empty" in _bad(tmp_path, gzip.compress(b""), "empty.gz")


@pytest.mark.parametrize("dtype", [np.uint16, np.int64, np.bool_, np.complex64])
def test_write_refuses_types_idx_cannot_hold(tmp_path, dtype):
    with pytest.raises(IDXFormatError, match="cannot write dtype"):
        write_idx(tmp_path / "x.idx", np.zeros(3, dtype))
    assert not list(tmp_path.iterdir())


# ---- issue 11, 6 and 7: hostile headers --------------------------------------------------------------

import resource  # noqa: E402
import struct  # noqa: E402
import zlib  # noqa: E402


def test_a_small_gzip_declaring_a_huge_vector_is_refused_without_inflating_it(tmp_path):
    """Issue 11, 6: a 3 MB .gz declaring a 3 GiB vector was decompressed without a cap (6.2 GB RSS)."""
    header = struct.pack(">HBBI", 0, 0x08, 1, 3 << 30)
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    body = z.compress(header) + b"".join(z.compress(bytes(1 << 20)) for _ in range(64)) + z.flush()
    path = tmp_path / "big.idx1.gz"
    path.write_bytes(body)  # 64 MiB of zeros in ~64 kB, the header declares 3 GiB
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(IDXFormatError, match="declares 3,221,225,480 bytes"):
        read_idx(path)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # kB


def test_gzip_data_past_what_the_header_declares_is_not_inflated(tmp_path):
    header = struct.pack(">HBBI", 0, 0x08, 1, 10)
    path = tmp_path / "long.idx1.gz"
    path.write_bytes(gzip.compress(header + bytes(10 + (100 << 20))))  # 100 MiB more than declared
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(IDXFormatError, match="trailing bytes"):
        read_idx(path)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # kB


@pytest.mark.parametrize("header, message", [
    (bytes.fromhex("00000804") + struct.pack(">4I", 65536, 65536, 65536, 65536), "truncated|declares 18,446,744,073,709,551,636 bytes"),
    (bytes.fromhex("0000083f") + bytes(4 * 63), "63 dimensions"),
    (bytes.fromhex("000008ff") + struct.pack(">255I", *[2] * 255), "255 dimensions"),
])
def test_headers_that_overflow_or_have_too_many_dimensions_are_idx_errors(tmp_path, header, message):
    """Issue 11, 7: dims overflowing int64, or more than NumPy's dimensions, raised ValueError."""
    for suffix, data in (("", header), (".gz", gzip.compress(header))):
        path = tmp_path / f"h.idx{suffix}"
        path.write_bytes(data)
        with pytest.raises(IDXFormatError, match=message):
            read_idx(path)


def test_a_fifo_is_refused_not_waited_on(tmp_path):
    import os

    fifo = tmp_path / "labels.idx1"
    os.mkfifo(fifo)
    with pytest.raises(IDXFormatError, match="not a regular file"):
        read_idx(fifo)


def test_a_limit_below_the_content_is_refused(tmp_path):
    write_idx(tmp_path / "a.idx", np.zeros(100, np.uint8))
    write_idx(tmp_path / "a.idx.gz", np.zeros(100, np.uint8))
    for name in ("a.idx", "a.idx.gz"):
        with pytest.raises(IDXFormatError, match="at most 50"):
            read_idx(tmp_path / name, max_bytes=50)
        assert read_idx(tmp_path / name, max_bytes=108).shape == (100,)


@pytest.mark.parametrize("shape", [(0, 2**32 - 1, 2**32 - 1, 2**32 - 1), (65536, 65536, 0, 65536, 65536, 65536)])
def test_an_empty_shape_with_sizes_too_large_for_numpy_is_an_idx_error(tmp_path, shape):
    """Found by the fuzz suite: no elements, so the size matched, but NumPy cannot make the shape."""
    path = tmp_path / "e.idx"
    path.write_bytes(struct.pack(f">HBB{len(shape)}I", 0, 0x08, len(shape), *shape))
    with pytest.raises(IDXFormatError, match="too large for an array"):
        read_idx(path)

"""Reading PNGs: damaged or hostile files (the cases attack helpers built against a faster decoder that
was tried and withdrawn) are refused in one line, or read upright, as Pillow reads them; a stream that
goes on after the pixels costs no time."""

import io
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image

from digitlab.vision.images import ImageError, load_grey


def chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def grey_png(pixels: np.ndarray, *extra: bytes, stream: bytes | None = None, after: bytes = b"") -> bytes:
    """A grey 8-bit PNG written by hand: ``extra`` chunks before IDAT, ``after`` between IDAT and IEND,
    ``stream`` in place of the zlib data."""
    h, w = pixels.shape
    rows = b"".join(b"\0" + row.tobytes() for row in pixels)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + b"".join(extra)
            + chunk(b"IDAT", zlib.compress(rows) if stream is None else stream) + after + chunk(b"IEND", b""))


PAGE = np.full((40, 60), 255, np.uint8)
PAGE[5:15, 20:30] = 0


def test_a_png_with_a_flipped_byte_is_refused_in_one_line():
    noisy = np.random.default_rng(0).normal(200, 12, (120, 160)).clip(0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noisy).save(buf, format="PNG")
    data = buf.getvalue()
    rng = np.random.default_rng(1)
    for _ in range(40):
        bad = bytearray(data)
        bad[int(rng.integers(33, len(bad) - 12))] ^= 0x5A  # a byte flipped after the header
        with pytest.raises(ImageError, match="cannot decode the image|not an image Pillow can read") as e:
            load_grey(bytes(bad), "bad.png")
        assert "\n" not in str(e.value)


@pytest.mark.parametrize("name, data", [
    ("adler-32", grey_png(PAGE, stream=bytes(b ^ 0xFF if i == 107 else b
                                             for i, b in enumerate(zlib.compress(PAGE.tobytes(), 0))))),
    ("damaged gAMA after the pixels", grey_png(PAGE, after=chunk(b"gAMA", b""))),
])
def test_a_broken_stream_or_chunk_inside_intact_chunks_is_refused(name, data):
    with pytest.raises(ImageError, match="cannot decode the image"):
        load_grey(data, name)


def test_an_orientation_in_xmp_is_applied():
    xmp = chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + b'<x:xmpmeta><rdf:Description tiff:Orientation="6"/></x:xmpmeta>')
    assert load_grey(grey_png(PAGE, xmp)).shape == (60, 40)


def test_a_stream_that_goes_on_after_the_pixels_is_not_inflated():
    """160 MB of zeros compressed after a 100 x 100 image: reading stops when the rows are in."""
    co = zlib.compressobj(9)
    rows = b"".join(b"\0" + bytes([200]) * 100 for _ in range(100))
    stream = co.compress(rows) + b"".join(co.compress(bytes(1 << 24)) for _ in range(10)) + co.flush()
    start = time.process_time()
    grey = load_grey(grey_png(np.zeros((100, 100), np.uint8), stream=stream))
    assert grey.shape == (100, 100) and time.process_time() - start < 1.0

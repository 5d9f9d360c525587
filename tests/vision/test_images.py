"""Reading images: plain PNGs decoded by libpng (imagecodecs) give Pillow's levels exactly; every other
PNG, any damaged one, and any libpng refuses, goes to Pillow."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from digitlab.vision import images
from digitlab.vision.images import ImageError, load_grey


def photo(shape, seed=0) -> np.ndarray:
    """A noisy page with a dark stroke: (H, W) or (H, W, 3) uint8."""
    rng = np.random.default_rng(seed)
    page = rng.normal(200, 12, shape)
    page[shape[0] // 4: shape[0] // 2, shape[1] // 3: shape[1] // 3 + 9] = 30
    return page.clip(0, 255).astype(np.uint8)


def png(image: Image.Image, **save) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", **save)
    return buf.getvalue()


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def both_ways(data: bytes, monkeypatch, **how) -> tuple[np.ndarray, np.ndarray]:
    fast = load_grey(data, **how)
    monkeypatch.setattr(images, "FAST_PNG", False)
    slow = load_grey(data, **how)
    monkeypatch.setattr(images, "FAST_PNG", True)
    return fast, slow


@pytest.mark.skipif(images.png_decode is None, reason="imagecodecs is not installed")
@pytest.mark.parametrize("shape", [(300, 420), (420, 300, 3), (90, 70), (1, 1), (1, 500, 3)])
def test_a_plain_png_is_decoded_by_libpng_to_pillows_levels(shape, monkeypatch):
    mode = "RGB" if len(shape) == 3 else "L"
    data = png(Image.fromarray(photo(shape), mode))
    assert images._plain_png(opened(data)) is not None
    for region in (None, (0.1, 0.2, 0.7, 0.9)):
        fast, slow = both_ways(data, monkeypatch, region=region)
        assert fast.dtype == slow.dtype and np.array_equal(fast, slow)


def test_pngs_that_are_not_plain_go_to_pillow():
    grey = photo((60, 80))
    turned = Image.fromarray(np.rot90(grey).copy())
    exif = turned.getexif()
    exif[0x0112] = 6  # stored turned; orientation 6 turns it back
    frames = io.BytesIO()
    Image.fromarray(grey).save(frames, format="PNG", save_all=True, append_images=[Image.fromarray(255 - grey)])
    cases = {
        "16-bit": png(Image.fromarray(grey.astype(np.uint16) * 257)),
        "palette": png(Image.fromarray(grey).convert("P")),
        "transparent grey": png(Image.fromarray(grey), transparency=200),
        "rgba": png(Image.fromarray(grey).convert("RGBA")),
        "1-bit": png(Image.fromarray(grey).convert("1")),
        "exif": png(turned, exif=exif),
        "animated": frames.getvalue(),
    }
    for name, data in cases.items():
        assert images._plain_png(opened(data)) is None, name
    upright = load_grey(cases["exif"])
    assert upright.shape == grey.shape and np.allclose(upright, grey / 255, atol=1e-6)


def test_a_damaged_png_is_refused_as_pillow_refuses_it(monkeypatch):
    """A file whose chunk checksums are wrong goes to Pillow, which names the damage."""
    data = png(Image.fromarray(photo((120, 160))))
    rng = np.random.default_rng(1)
    for _ in range(40):
        bad = bytearray(data)
        bad[int(rng.integers(33, len(bad) - 12))] ^= 0x5A  # a byte flipped after the header
        assert images._intact_chunks(bytes(bad)) is None
        for fast in (True, False):
            monkeypatch.setattr(images, "FAST_PNG", fast)
            with pytest.raises(ImageError, match="cannot decode the image|not an image Pillow can read") as e:
                load_grey(bytes(bad), "bad.png")
            assert "\n" not in str(e.value)
    assert images._intact_chunks(data[:-20]) is None  # cut before IEND
    assert images._intact_chunks(data) == {b"IHDR", b"IDAT"}


def chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def grey_png(pixels: np.ndarray, *extra: bytes, stream: bytes | None = None, ihdr: bytes | None = None) -> bytes:
    """A grey 8-bit PNG written by hand: ``extra`` chunks before IDAT, ``stream`` in place of the zlib data."""
    h, w = pixels.shape
    rows = b"".join(b"\0" + row.tobytes() for row in pixels)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr or struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + b"".join(extra)
            + chunk(b"IDAT", zlib.compress(rows) if stream is None else stream) + chunk(b"IEND", b""))


def test_what_pillow_reads_differently_from_the_plain_pixels_goes_to_pillow(monkeypatch):
    """An orientation in XMP or an EXIF text profile, a frame box without an animation chunk, a broken
    zlib stream inside intact chunks, and streams libpng refuses but Pillow reads (found by an attack
    helper against an earlier decoder): each read as Pillow reads it, or refused as Pillow refuses it."""
    page = np.full((40, 60), 255, np.uint8)
    page[5:15, 20:30] = 0
    xmp = chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + b'<x:xmpmeta><rdf:Description tiff:Orientation="6"/></x:xmpmeta>')
    frame = chunk(b"fcTL", struct.pack(">IIIIIHHBB", 0, 60, 20, 0, 20, 1, 10, 0, 0))
    stored = bytearray(zlib.compress(b"".join(b"\0" + row.tobytes() for row in page), 0))
    stored[107] ^= 0xFF  # a pixel changed after the Adler-32 was computed
    cases = {"xmp orientation": grey_png(page, xmp), "frame box": grey_png(page, frame),
             "adler-32": grey_png(page, stream=bytes(stored)),
             "interlace 2": grey_png(page, ihdr=struct.pack(">IIBBBBB", 60, 40, 8, 0, 0, 0, 2)),
             "short stream": grey_png(page, stream=zlib.compress(b"".join(b"\0" + row.tobytes() for row in page[:30])))}
    for name, data in cases.items():
        outcomes = []
        for fast in (True, False):
            monkeypatch.setattr(images, "FAST_PNG", fast)
            try:
                outcomes.append(load_grey(data, name))
            except ImageError as e:
                outcomes.append(str(e))
        same = (isinstance(outcomes[0], str) and outcomes[0] == outcomes[1]) or (
            not isinstance(outcomes[0], str) and not isinstance(outcomes[1], str) and np.array_equal(*outcomes))
        assert same, name
    monkeypatch.setattr(images, "FAST_PNG", True)
    assert load_grey(cases["xmp orientation"]).shape == (60, 40)  # turned upright

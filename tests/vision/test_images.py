"""Reading images: plain PNGs decoded by libspng give Pillow's levels exactly; every other PNG, and any
damaged one, goes to Pillow."""

import io

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


@pytest.mark.skipif(images.pyspng is None, reason="pyspng is not installed")
@pytest.mark.parametrize("shape", [(300, 420), (420, 300, 3), (90, 70), (1, 1), (1, 500, 3)])
def test_a_plain_png_is_decoded_by_libspng_to_pillows_levels(shape, monkeypatch):
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
    """libspng would decode a stream whose checksums are wrong; such a file goes to Pillow, which names it."""
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

"""Reading images: any file Pillow reads, bytes, a PIL image or an array -> grey levels in [0, 1].

``open_image`` reads and checks a file's header. ``load_grey`` takes the first
frame, applies the EXIF orientation, lays transparency on a background that
contrasts with the ink, scales 16-bit levels, and shrinks the image to at most
``WORK_SIZE`` pixels a side. Errors name the file and what was wrong:
``ImageError``, ``ImageTooLargeError``.
"""

from __future__ import annotations

import io
import os
import warnings

import numpy as np
from PIL import Image, ImageOps

from .._io import read_regular
from ..errors import DigitlabError

MAX_PIXELS = 40_000_000   # larger images are refused (a 40-megapixel photo is allowed)
MAX_FILE_BYTES = 200 * 1024 * 1024  # larger files are refused before they are read
WORK_SIZE = 160           # longest side the ink is found at (a digit a fifth of the photo is still ~32 px)


class ImageError(DigitlabError, ValueError):
    """A file that is not a readable image, or one too large to read."""


class BlankImageError(ImageError):
    """An image with no ink to read."""


class ImageTooLargeError(ImageError):
    """An image with more pixels than allowed (or a decompression bomb)."""


def load_grey(image, name: str = "image", max_pixels: int = MAX_PIXELS, region=None,
              work: int = WORK_SIZE) -> np.ndarray:
    """(H, W) float32 grey levels in [0, 1], at most ``work`` pixels a side.

    ``region`` (top, left, bottom, right), fractions of the (upright) image, reads only that part: a
    small digit in a large photo is read again at the resolution it deserves."""
    if isinstance(image, np.ndarray):
        return _shrink(_crop(_array_grey(image, name), region), work)
    img = open_image(image, name, max_pixels) if not isinstance(image, Image.Image) else image
    try:
        img.seek(0)
        if drafts(img):  # before any pixel is decoded, so it takes effect:
            img.draft("L", _draft_size(img.size, region, work))  # straight to grey, at 1/2, 1/4 or 1/8 scale
        img = ImageOps.exif_transpose(img)
        if img.mode == "P":
            img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        if img.mode in ("LA", "PA", "RGBa", "La"):
            img = img.convert("RGBA")
        if img.mode == "RGBA" and img.getchannel("A").getextrema()[0] == 255:
            img = img.convert(img.mode[:-1])  # an opaque canvas: its alpha channel says nothing
        if img.mode in ("L", "RGB", "CMYK", "YCbCr"):  # no transparency: shrink in 8 bits, it is faster
            img = img.convert("L")
        if region is not None:
            img = img.crop(_pixel_box(img.height, img.width, region))
        if img.mode in ("L", "RGBA") and max(img.size) > work:  # shrink first: full-size float planes cost ~1 GB
            img = img.resize(_work_size(img.width, img.height, work), Image.Resampling.BOX)  # RGBA: weighed by alpha
        grey = _pil_grey(img)
    except Exception as e:  # truncated or corrupt data found while decoding, whatever the plugin raises
        raise ImageError(f"{name}: cannot decode the image ({e}); expected a complete PNG, JPEG or other image file") from None
    return _shrink(grey, work)


def drafts(img: Image.Image) -> bool:
    """Whether ``load_grey`` has the decoder give ``img`` at a reduced scale (``draft``): a grey or colour
    JPEG. Such an image is decoded anew for each reading, at the scale that reading needs."""
    return img.format == "JPEG" and img.mode in ("L", "RGB")


def _draft_size(size: tuple[int, int], region, work: int) -> tuple[int, int]:
    """The size to ask a JPEG decoder for so that the region's longer side still has ``work`` pixels
    (the decoder picks the smallest 1/2, 1/4, 1/8 scale at least this large)."""
    if region is None:
        return work, work
    top, left, bottom, right = region
    scale = work / max(1.0, max(bottom - top, right - left) * min(size))  # orientation unknown yet: the safe side
    return max(1, int(np.ceil(size[0] * scale))), max(1, int(np.ceil(size[1] * scale)))


def _pixel_box(h: int, w: int, region) -> tuple[int, int, int, int]:
    """(left, upper, right, lower) pixels of a (top, left, bottom, right) fractional region, at least 1 x 1."""
    top, left, bottom, right = (min(1.0, max(0.0, float(v))) for v in region)
    x0, y0 = min(int(left * w), w - 1), min(int(top * h), h - 1)
    return x0, y0, max(x0 + 1, int(np.ceil(right * w))), max(y0 + 1, int(np.ceil(bottom * h)))


def _crop(grey: np.ndarray, region) -> np.ndarray:
    if region is None:
        return grey
    x0, y0, x1, y1 = _pixel_box(*grey.shape, region)
    return grey[y0:y1, x0:x1]


def open_image(source, name: str = "image", max_pixels: int = MAX_PIXELS) -> Image.Image:
    """A path, bytes or file object -> a PIL image, its header read and checked (no pixel decoded yet)."""
    if isinstance(source, (str, os.PathLike)):  # a regular file only: a FIFO or /dev/zero would never end
        source = read_regular(source, MAX_FILE_BYTES, ImageError, "image file")
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(source)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageTooLargeError(f"{name}: refused, too many pixels ({e}); expected at most {max_pixels:,}") from None
    except Exception as e:  # UnidentifiedImageError, or whatever a malformed header makes a plugin raise
        if isinstance(e, OSError) and e.errno is not None:  # the file itself could not be read: missing, ...
            raise
        raise ImageError(f"{name}: not an image Pillow can read ({type(e).__name__}); expected PNG, JPEG, BMP, GIF, "
                         "TIFF or WebP") from None
    if img.width * img.height > max_pixels:
        raise ImageTooLargeError(f"{name}: refused, {img.width} x {img.height} is {img.width * img.height:,} pixels; "
                                 f"expected at most {max_pixels:,}")
    if img.width == 0 or img.height == 0:
        raise ImageError(f"{name}: the image is empty ({img.width} x {img.height})")
    return img


def _pil_grey(img: Image.Image) -> np.ndarray:
    """Grey levels in [0, 1] from any mode; transparency laid on a background that contrasts with the ink."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        return _unit_levels(np.asarray(img, dtype=np.float32), unit_ok=img.mode == "F")  # F: often [0, 1]
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255
        grey = np.asarray(rgba.convert("L"), dtype=np.float32) / 255
        if alpha.min() < 0.99:  # strokes on a transparent background: lay them on the opposite shade
            opaque = alpha > 0.5
            ink_is_dark = grey[opaque].mean() < 0.5 if opaque.any() else True
            background = 1.0 if ink_is_dark else 0.0
            return alpha * grey + (1 - alpha) * background
        return grey
    return np.asarray(img.convert("L"), dtype=np.float32) / 255


def _array_grey(a: np.ndarray, name: str) -> np.ndarray:
    """(H, W) or (H, W, 3 or 4) real numbers -> (H, W) float32 in [0, 1] (``_unit_levels``)."""
    a = np.asarray(a)
    if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating) or a.dtype == bool):
        raise ImageError(f"{name}: an array image must hold real numbers, got dtype {a.dtype}")
    if a.ndim == 3 and a.shape[2] in (3, 4):
        a = a[..., :3].mean(axis=2)
    if a.ndim != 2 or a.size == 0:
        raise ImageError(f"{name}: an array image must be (H, W) or (H, W, 3), got shape {a.shape}")
    return _unit_levels(a)


def _unit_levels(a: np.ndarray, unit_ok: bool = True) -> np.ndarray:
    """(H, W) levels -> float32 in [0, 1]. NaN and infinities are 0. The scale is 1 (if ``unit_ok``; up to
    a largest level of 1.5, as noise overshoots a float image's 1), 255 or 65535, as the largest level says,
    or, if that is beyond 16 bits, as nearly all the pixels say, so one stray value does not rescale the rest."""
    a = np.nan_to_num(np.asarray(a, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    level = float(a.max())
    if level > 65535:
        sample = a[::max(1, a.shape[0] // 256), ::max(1, a.shape[1] // 256)].ravel()
        k = int(0.999 * (sample.size - 1))
        level = float(np.partition(sample, k)[k])
    top = 65535.0 if level > 255 else 255.0 if level > 1.5 or not unit_ok else 1.0
    return np.clip(a / top, 0.0, 1.0)


def _work_size(w: int, h: int, work: int = WORK_SIZE) -> tuple[int, int]:
    """(width, height) scaled so the longer side is ``work``."""
    scale = work / max(w, h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def _shrink(grey: np.ndarray, work: int = WORK_SIZE) -> np.ndarray:
    """Float grey levels (H, W) averaged down to at most ``work`` a side."""
    h, w = grey.shape
    if max(h, w) <= work:
        return grey
    return np.asarray(Image.fromarray(np.ascontiguousarray(grey), "F").resize(_work_size(w, h, work),
                                                                              Image.Resampling.BOX), dtype=np.float32)

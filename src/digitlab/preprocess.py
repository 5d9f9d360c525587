"""Photos and drawings -> 28x28 MNIST-style digits, the way MNIST itself was prepared.

``to_mnist(image)`` runs these steps; each is a small function on arrays:

1. ``load_grey``: any Pillow-readable file or image -> grey floats in [0, 1]
   (first frame, EXIF orientation applied, transparency laid on a contrasting
   background, 16-bit scaled), shrunk to at most ``WORK_SIZE`` pixels a side.
2. ``ink_image``: ink made white on black whichever way round it was drawn,
   the paper level fitted as a smooth surface over tile levels (uneven light)
   and removed with any shading left over, noise floor cut, anti-aliased grey
   levels kept and stretched to full range.
3. ``keep_strokes``: only blobs with enough strong ink kept (dust and faint
   leftover shading dropped).
4. ``fit_box``: crop to the ink, scale the longer side to 20 px keeping the
   aspect ratio (anti-aliased), and place in 28x28 with its centre of mass at
   the centre, as LeCun describes.

Errors name the file and what was wrong: ``ImageError``, ``BlankImageError``.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage

from .errors import DigitlabError

MAX_PIXELS = 40_000_000   # larger images are refused (a 40-megapixel photo is allowed)
WORK_SIZE = 160           # longest side the ink is found at (a digit a fifth of the photo is still ~32 px)
BOX, SIZE = 20, 28        # MNIST: the digit's longer side is 20 px, in a 28 x 28 field
CENTRE = 14.0             # where MNIST's centres of mass sit (mean over the training set: 14.0, 14.0)


class ImageError(DigitlabError, ValueError):
    """A file that is not a readable image, or one too large to read."""


class BlankImageError(ImageError):
    """An image with no ink to read."""


class ImageTooLargeError(ImageError):
    """An image with more pixels than allowed (or a decompression bomb)."""


def to_mnist(image, name: str | None = None, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """A path, bytes, file object, PIL image or 2-D array -> (28, 28) float32 in [0, 1], ink white on black."""
    name = name or (str(image) if isinstance(image, (str, os.PathLike)) else "image")
    grey = load_grey(image, name, max_pixels)
    ink = keep_strokes(ink_image(grey))
    if not ink.any():
        raise BlankImageError(f"{name}: no ink found (blank or uniform image); expected a digit")
    return fit_box(ink)


# ---- 1. reading -----------------------------------------------------------------------------------


def load_grey(image, name: str = "image", max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """(H, W) float32 grey levels in [0, 1], at most WORK_SIZE pixels a side."""
    if isinstance(image, np.ndarray):
        return _shrink(_array_grey(image, name))
    img = _open(image, name, max_pixels) if not isinstance(image, Image.Image) else image
    try:
        img.seek(0)
        img = ImageOps.exif_transpose(img)
        if img.format == "JPEG" and img.mode in ("L", "RGB"):
            img.draft("L", (WORK_SIZE, WORK_SIZE))  # decode straight to grey, at 1/2, 1/4 or 1/8 scale if large
        if img.mode in ("RGBA", "LA") and img.getchannel("A").getextrema()[0] == 255:
            img = img.convert(img.mode[:-1])  # an opaque canvas: its alpha channel says nothing
        if img.mode in ("L", "RGB", "CMYK", "YCbCr"):  # no transparency: shrink in 8 bits, it is faster
            img = img.convert("L")
            if max(img.size) > WORK_SIZE:
                img = img.resize(_work_size(img.width, img.height), Image.Resampling.BOX)
        grey = _pil_grey(img)
    except Exception as e:  # truncated or corrupt data found while decoding, whatever the plugin raises
        raise ImageError(f"{name}: cannot decode the image ({e}); expected a complete PNG, JPEG or other image file") from None
    return _shrink(grey)


def _open(source, name: str, max_pixels: int = MAX_PIXELS) -> Image.Image:
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
        a = np.asarray(img, dtype=np.float32)
        top = 65535.0 if a.max() > 255 else 255.0
        return np.clip(a / top, 0, 1)
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
    a = np.asarray(a)
    if a.ndim == 3 and a.shape[2] in (3, 4):
        a = a[..., :3].mean(axis=2)
    if a.ndim != 2 or a.size == 0:
        raise ImageError(f"{name}: an array image must be (H, W) or (H, W, 3), got shape {a.shape}")
    a = a.astype(np.float32)
    return a / 255 if a.max() > 1 else a


def _work_size(w: int, h: int) -> tuple[int, int]:
    """(width, height) scaled so the longer side is WORK_SIZE."""
    scale = WORK_SIZE / max(w, h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def _shrink(grey: np.ndarray) -> np.ndarray:
    """Float grey levels (H, W) averaged down to at most WORK_SIZE a side."""
    h, w = grey.shape
    if max(h, w) <= WORK_SIZE:
        return grey
    return np.asarray(Image.fromarray(grey, "F").resize(_work_size(w, h), Image.Resampling.BOX), dtype=np.float32)


# ---- 2. ink -------------------------------------------------------------------------------------


def ink_image(grey: np.ndarray, tiles: int = 10) -> np.ndarray:
    """(H, W) grey -> (H, W) ink in [0, 1], white on black, background removed.

    The paper is what most of the image is: if it is light, the ink is dark and
    the image is inverted. The paper level is estimated per tile (a low
    percentile of the ink-bright image, since ink covers a minority of each
    tile), fitted with a smooth surface and subtracted; shading that is left
    (wider than any stroke) is removed too; what is left below a few noise
    deviations is set to zero; the rest is stretched so the strokes reach 1.
    """
    sample = (slice(None, None, 2), slice(None, None, 2)) if grey.size > 4096 else (slice(None),) * 2
    ink = 1.0 - grey if np.median(grey[::3, ::3]) > 0.5 else grey.copy()  # statistics from a sample of pixels
    paper = _paper_level(ink, tiles)
    ink -= paper
    if np.ndim(paper):  # uneven light: take off what the smooth surface missed
        ink -= _shading(ink)
    few = ink[sample]
    residual = few[few < np.percentile(few, 60)]
    noise = 1.4826 * np.median(np.abs(residual - np.median(residual))) if residual.size else 0.0
    floor = max(4 * noise, 0.03)
    strokes = ink[ink > floor]
    peak = np.percentile(strokes, 95) if strokes.size >= 4 else 0.0
    if peak - floor < 0.05:  # no stroke stands out of the noise
        return np.zeros_like(ink)
    return np.clip((ink - floor) / (peak - floor), 0.0, 1.0)


def _paper_level(ink: np.ndarray, tiles: int) -> np.ndarray | float:
    """Smooth estimate of the background under the ink: (H, W), or one number if the paper is even.

    Each tile's paper level is a low percentile of it; a quadratic surface
    fitted to those levels (tiles with ink in them rejected as outliers, twice)
    follows a light gradient and a vignette out to the corners.
    """
    h, w = ink.shape
    tiles = max(1, min(tiles, min(h, w) // 16))  # tiles of at least 16 px: wider than most strokes
    step = 2 if min(h, w) >= 32 * tiles else 1  # every 4th pixel is plenty for a percentile
    small = ink[::step, ::step]
    th, tw = max(1, small.shape[0] // tiles), max(1, small.shape[1] // tiles)
    ny, nx = max(1, small.shape[0] // th), max(1, small.shape[1] // tw)
    blocks = small[:ny * th, :nx * tw].reshape(ny, th, nx, tw).transpose(0, 2, 1, 3).reshape(ny, nx, -1)
    th, tw = th * step, tw * step  # tile size in full-resolution pixels
    k = blocks.shape[2] // 4  # the 25th percentile of each tile
    level = np.partition(blocks, k, axis=2)[:, :, k].ravel().astype(np.float64)
    if level.size < 12:  # too few tiles to fit a surface: one level for the whole image
        return float(np.median(level))
    above = level - level.min()
    if np.mean((above > 0.004) & (above < 0.1)) < 0.05:  # tiles are paper or ink, with no shades between:
        return float(level.min())                           # even light, as a drawing on a screen
    cy, cx = np.meshgrid((np.arange(ny) + 0.5) * th / h, (np.arange(nx) + 0.5) * tw / w, indexing="ij")
    basis = _quadratic(cy.ravel(), cx.ravel())
    use = level <= np.percentile(level, 60)  # start from the darker tiles: paper, in the ink-bright image
    for _ in range(3):
        coef, *_ = np.linalg.lstsq(basis[use], level[use], rcond=None)
        residual = level - basis @ coef
        below = residual[use & (residual <= 0)]
        spread = 1.4826 * np.median(np.abs(below)) + 2e-3 if below.size else 2e-3
        use = residual < 3 * spread  # tiles well above the surface hold ink
        if use.sum() < basis.shape[1] + 2:
            return float(np.median(level))
    c0, c1, c2, c3, c4, c5 = coef
    y, x = (np.arange(h) / h)[:, None], (np.arange(w) / w)[None, :]
    return (c0 + c1 * y + c3 * y * y + (c2 + c4 * y) * x + c5 * x * x).astype(np.float32)


def _shading(ink: np.ndarray, f: int = 4) -> np.ndarray:
    """What the quadratic surface missed: a grey opening (a window far wider than a stroke, so strokes
    vanish from it) of the image shrunk ``f`` times, smoothed and brought back to full size. (H, W)."""
    h, w = ink.shape
    if min(h, w) < 12 * f:
        return np.zeros_like(ink)
    small = np.asarray(Image.fromarray(ink, "F").reduce(f), dtype=np.float32)  # means of f x f blocks
    size = max(3, min(h, w) // (5 * f))  # a window a fifth of the image wide
    level = ndimage.uniform_filter(ndimage.grey_opening(small, size=(size, size)), size=size, mode="nearest")
    return np.asarray(Image.fromarray(level.astype(np.float32), "F").resize((w, h), Image.Resampling.BILINEAR),
                      dtype=np.float32)


def _quadratic(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(n,) coordinates -> (n, 6) basis 1, y, x, y^2, xy, x^2."""
    return np.stack([np.ones_like(y), y, x, y * y, x * y, x * x], axis=1)


# ---- 3. specks ----------------------------------------------------------------------------------


def keep_strokes(ink: np.ndarray, fraction: float = 0.08, strong: float = 0.5) -> np.ndarray:
    """Keep the connected blobs that are strokes: their strong ink (above ``strong``) is at least
    ``fraction`` of the largest blob's. Dust is too small; leftover shading is too faint. (H, W)."""
    labels, n = ndimage.label(ink > 0, structure=np.ones((3, 3)))
    if n == 0:
        return ink
    mass = np.bincount(labels.ravel(), weights=(ink > strong).ravel(), minlength=n + 1)
    mass[0] = 0.0  # label 0 is the background
    if mass.max() == 0:  # nothing strong anywhere: no stroke to keep
        return np.zeros_like(ink)
    keep = mass >= fraction * mass.max()
    return np.where(keep[labels], ink, 0.0).astype(np.float32)


# ---- 4. size and place --------------------------------------------------------------------------


def fit_box(ink: np.ndarray) -> np.ndarray:
    """Crop to the ink, scale the longer side to 20 px (aspect kept, anti-aliased), centre the mass in 28x28."""
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    digit = np.asarray(Image.fromarray(crop.astype(np.float32), "F").resize(size, Image.Resampling.LANCZOS),
                       dtype=np.float32).clip(0, 1)
    if digit.max() > 0:
        digit /= digit.max()
    out = np.zeros((SIZE, SIZE), np.float32)
    y0, x0 = (SIZE - size[1]) // 2, (SIZE - size[0]) // 2
    out[y0:y0 + size[1], x0:x0 + size[0]] = digit
    cy, cx = ndimage.center_of_mass(out)
    dy = int(np.clip(round(CENTRE - cy), -y0, SIZE - y0 - size[1]))
    dx = int(np.clip(round(CENTRE - cx), -x0, SIZE - x0 - size[0]))
    return np.roll(out, (dy, dx), axis=(0, 1))


def to_png(digit: np.ndarray) -> bytes:
    """A (28, 28) digit in [0, 1] as 8-bit grey PNG bytes: what the model saw."""
    buf = io.BytesIO()
    Image.fromarray((np.clip(digit, 0, 1) * 255).round().astype(np.uint8), "L").save(buf, format="PNG")
    return buf.getvalue()


def save_preview(digit: np.ndarray, path: str | os.PathLike) -> None:
    """Write a (28, 28) digit as a PNG, atomically."""
    from ._io import atomic_write_bytes

    atomic_write_bytes(Path(path), to_png(digit))

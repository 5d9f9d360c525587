"""Photos and drawings -> 28x28 MNIST-style digits, the way MNIST itself was prepared.

``to_mnist(image)`` runs these steps; each is a small function on arrays:

1. ``images.load_grey``: any Pillow-readable file or image -> grey floats in [0, 1]
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
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from .._io import atomic_write_bytes
from .images import (  # noqa: F401  (the errors are part of this module's interface)
    MAX_PIXELS, WORK_SIZE, BlankImageError, ImageError, ImageTooLargeError, load_grey,
)
BOX, SIZE = 20, 28        # MNIST: the digit's longer side is 20 px, in a 28 x 28 field
CENTRE = 14.0             # where MNIST's centres of mass sit (mean over the training set: 14.0, 14.0)


def to_mnist(image, name: str | None = None, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """A path, bytes, file object, PIL image or 2-D array -> (28, 28) float32 in [0, 1], ink white on black."""
    name = name or (str(image) if isinstance(image, (str, os.PathLike)) else "image")
    grey = load_grey(image, name, max_pixels)
    ink = keep_strokes(ink_image(grey))
    if not ink.any():
        raise BlankImageError(f"{name}: no ink found (blank or uniform image); expected a digit")
    return fit_box(ink)


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
    atomic_write_bytes(Path(path), to_png(digit))

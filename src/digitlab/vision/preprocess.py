"""Photos and drawings -> 28x28 MNIST-style digits, the way MNIST itself was prepared.

``to_mnist(image)`` runs these steps; each is a small function on arrays:

1. ``images.load_grey``: any Pillow-readable file or image -> grey floats in [0, 1]
   (first frame, EXIF orientation applied, transparency laid on a contrasting
   background, 16-bit scaled), shrunk to at most ``WORK_SIZE`` pixels a side;
   ``upsample``: a small image enlarged to ``MIN_WORK`` before any morphology.
2. ``ink_image``: ink made white on black whichever way round it was drawn
   (``paper_is_light``), the paper level fitted as a smooth surface over tile
   levels (uneven light; in a narrow picture, such as a tight-cropped one, a
   plane through the paper beside the strokes, ``paper_plane``) and removed
   with any shading left over (never a stroke: the window is wider than 2.5
   strokes), ruled or squared paper's lines taken off (``remove_lines``),
   noise floor cut, anti-aliased grey levels kept and stretched to full range.
3. ``keep_strokes``: only blobs with enough strong ink kept (dust and faint
   leftover shading dropped; ``peel_border_bands``: a desk inking the border
   lines end to end, even where the digit touches it; ``edge_bands``: the
   sheet's edge or the desk along the border too, when there is a digit
   elsewhere; ``underlines``: a line drawn under the digit).
   ``zoom_region``: a digit under ``ZOOM_BELOW`` work pixels is read again from
   its part of the photo (``load_grey(region=...)``), at full resolution,
   unless what is found there spans nearly all of it (``ink_span``); a faint
   one not found at all is looked for again at ``FIND_SIZE``. Ink that is a solid patch
   rather than strokes (``is_patch``: noise or texture stretched to full range) is no digit.
4. ``fit_box``: crop to the ink, bring the strokes to MNIST's width relative to
   the digit (``stroke_to_mnist_width``: a hairline made bolder, a marker's blob
   thinner), scale the longer side to 20 px keeping the aspect ratio
   (anti-aliased), and place in 28x28 with its centre of mass at the centre, as
   LeCun describes.

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
    MAX_PIXELS, WORK_SIZE, BlankImageError, ImageError, ImageTooLargeError, drafts, load_grey, open_image,
)
BOX, SIZE = 20, 28        # MNIST: the digit's longer side is 20 px, in a 28 x 28 field
CENTRE = 14.0             # where MNIST's centres of mass sit (mean over the training set: 14.0, 14.0)


def to_mnist(image, name: str | None = None, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """A path, bytes, file object, PIL image or 2-D array -> (28, 28) float32 in [0, 1], ink white on black."""
    name = name or (str(image) if isinstance(image, (str, os.PathLike)) else "image")
    again = image  # what a second reading (``_again``) reads
    if not isinstance(image, (np.ndarray, Image.Image)):
        image = open_image(image, name, max_pixels)
        if not drafts(image):  # decoded once, at full size, for every reading; a drafted JPEG from its source
            again = image
    grey = load_grey(image, name, max_pixels)
    ink = keep_strokes(ink_image(upsample(grey)))
    if not ink.any() and max(grey.shape) == WORK_SIZE:  # a faint digit a few work pixels high: look closer
        larger = _again(again, name, max_pixels, work=FIND_SIZE)
        if larger is not None:
            grey, ink = larger, keep_strokes(ink_image(upsample(larger)))
    if not ink.any():
        raise BlankImageError(f"{name}: no ink found (blank or uniform image); expected a digit")
    region = zoom_region(ink, grey.shape)
    if region is not None:  # a small digit in a large photo: read its part of the photo again, sharper
        closer = _again(again, name, max_pixels, region=region)
        if closer is not None and max(closer.shape) > ZOOM_GAIN * max(grey.shape) * max(region[2] - region[0], region[3] - region[1]):
            zoomed = keep_strokes(ink_image(upsample(closer)))
            if zoomed.any() and ink_span(zoomed) < ZOOM_SPAN:  # not the region's own desk or shading
                ink = zoomed
    if is_patch(ink):
        raise BlankImageError(f"{name}: no digit found (what stands out is a solid patch, not strokes: noise, "
                              "texture or a flat area); expected a digit")
    return fit_box(ink)


def is_patch(ink: np.ndarray, strong: float = 0.5, fill: float = 0.92, narrow: float = 0.5) -> bool:
    """Whether the strokes of (H, W) ink are a solid patch rather than a digit: their strong ink (above
    ``strong``) fills over ``fill`` of its box, and the box is not narrow (its shorter side over ``narrow``
    of the longer). Noise or a texture stretched to full range is read so; a digit is strokes with paper
    between them (at most 0.72 of a box that is not narrow among 3,600 tuning photos), and a one, which may
    be a solid bar, is narrow. A marker-bold 8 or 0, its loops inked nearly shut, reaches 0.85-0.9."""
    box = ink_box(ink, strong)
    if box is None:
        return False
    top, left, bottom, right = box
    h, w = bottom - top, right - left
    return min(h, w) > narrow * max(h, w) and float((ink[top:bottom, left:right] > strong).mean()) > fill


def _again(image, name: str, max_pixels: int, **how) -> np.ndarray | None:
    """``load_grey`` once more, differently: a file object is read from its start again, and one that
    cannot go back (a pipe) gives None; a PIL image goes back to its first frame."""
    if hasattr(image, "seek"):
        try:
            image.seek(0)
        except (OSError, ValueError):
            return None
    return load_grey(image, name, max_pixels, **how)


FIND_SIZE = 3 * WORK_SIZE  # where to look again when nothing was found at the work size
ZOOM_BELOW = 40   # a digit whose longer side has fewer work pixels than this is read again, closer
ZOOM_GAIN = 1.5   # ... if the photo has at least this much more resolution there
ZOOM_SPAN = 0.9   # ... and what is found there spans less of it than this: the digit fills about half of it


def ink_box(ink: np.ndarray, strong: float = 0.2) -> tuple[int, int, int, int] | None:
    """(top, left, bottom, right), bottom and right exclusive, of the pixels of (H, W) ink above ``strong``;
    None if there are none."""
    rows, cols = np.flatnonzero((ink > strong).any(axis=1)), np.flatnonzero((ink > strong).any(axis=0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def ink_span(ink: np.ndarray, strong: float = 0.2) -> float:
    """The larger share of its height or width that the ink above ``strong`` in (H, W) spans; 0 if none."""
    box = ink_box(ink, strong)
    if box is None:
        return 0.0
    top, left, bottom, right = box
    return max((bottom - top) / ink.shape[0], (right - left) / ink.shape[1])


def zoom_region(ink: np.ndarray, shape: tuple[int, int], strong: float = 0.2, margin: float = 0.5):
    """The part of the image to read again for a small digit: its box (pixels above ``strong``) widened by
    ``margin`` of its longer side on every side, as (top, left, bottom, right) fractions of an image of
    ``shape`` (H, W), the image ``ink`` (h, w) was made from (possibly enlarged since). None if the digit is
    large enough already."""
    box = ink_box(ink, strong)
    if box is None:
        return None
    top, left, bottom, right = box
    f = shape[0] / ink.shape[0]  # ink pixels -> image pixels (upsample may have enlarged)
    length = max(bottom - top, right - left) * f
    if length >= ZOOM_BELOW:
        return None
    pad = margin * length + 2
    h, w = shape
    return (max(0.0, (top * f - pad) / h), max(0.0, (left * f - pad) / w),
            min(1.0, (bottom * f + pad) / h), min(1.0, (right * f + pad) / w))


MIN_WORK = 128  # smaller images are enlarged before any morphology: a 30-px digit has strokes of 2-3 px


def upsample(grey: np.ndarray) -> np.ndarray:
    """(H, W) grey levels enlarged (bicubic) so that the longer side is at least MIN_WORK."""
    h, w = grey.shape
    if max(h, w) >= MIN_WORK:
        return grey
    f = MIN_WORK / max(h, w)
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return np.asarray(Image.fromarray(grey, "F").resize(size, Image.Resampling.BICUBIC), np.float32).clip(0, 1)


# ---- 2. ink -------------------------------------------------------------------------------------


def ink_image(grey: np.ndarray, tiles: int = 10) -> np.ndarray:
    """(H, W) grey -> (H, W) ink in [0, 1], white on black, background removed.

    If the paper is light (``paper_is_light``), the ink is dark and the image is
    inverted. The paper level (``_paper_level``) is estimated per tile (a low
    percentile of the ink-bright image, since ink covers a minority of each
    tile; in a narrow picture, of the paper told from ink by Otsu's threshold),
    fitted with a smooth surface or a plane and subtracted; shading that is left
    (wider than any stroke) is removed too; what is left below a few noise
    deviations is set to zero; the rest is stretched so the strokes reach 1.
    """
    sample = (slice(None, None, 2), slice(None, None, 2)) if grey.size > 4096 else (slice(None),) * 2
    ink = 1.0 - grey if paper_is_light(grey) else grey.copy()
    paper = _paper_level(ink, tiles)
    ink -= paper
    if np.ndim(paper):  # uneven light: take off what the smooth surface missed
        ink -= _shading(ink)
    ink = remove_lines(ink)
    floor = max(4 * noise_level(ink[sample]), 0.03)
    strokes = ink[ink > floor]
    peak = quantile(strokes, 0.95) if strokes.size >= 4 else 0.0
    if peak - floor < 0.05 and strokes.size >= TINY:  # most of what is above the floor is faint: a digit of a
        peak = max(peak, float(np.partition(strokes, -TINY)[-TINY:].mean()) / 2)  # few pixels may still stand out
    if peak - floor < 0.05:  # no stroke stands out of the noise
        return np.zeros_like(ink)
    return np.clip((ink - floor) / (peak - floor), 0.0, 1.0)


def noise_level(ink: np.ndarray, below_gain: float = 1.5) -> float:
    """The deviation of the noise on the paper of ``ink`` (any shape; the paper level taken off), the
    smaller of two estimates. The spread of the darker 60% of the pixels: the paper's, if the ink covers
    less than 40% of the image. And one from the pixels below the paper level, which ``_paper_level`` sets
    at the 25th percentile: normal noise puts their median 0.476 deviations below it, however much of the
    image is ink (a bold digit filling a tight crop); it rests on a quarter of the paper's pixels, so it
    counts at ``below_gain`` times."""
    residual = ink[ink < quantile(ink, 0.6)]
    noise = spread(residual) if residual.size else 0.0
    below = ink[ink < 0]
    if below.size >= 16:
        noise = min(noise, below_gain * quantile(-below, 0.5) / 0.476)
    return noise


INSET = 3  # pixels: how far in ``paper_is_light`` looks for the ink a part-grey border pixel leads to


def paper_is_light(grey: np.ndarray) -> bool:
    """Whether the paper of (H, W) grey is lighter than the ink. What most of the image is (the median of a
    sample of pixels) is the paper if it is light. A dark median may be the ink of a bold digit filling a
    tight crop: if the border is still mostly light (above halfway between the 1st and 99th percentiles, at
    least 0.2 apart) and dark pixels (below halfway) reach three sides or four, the digit touches them and the
    paper is that light part. A crop at a stroke's blurred edge leaves it part grey there: a border pixel below
    three quarters of the way counts too where the side, averaged over 5 px, is 0.05 darker ``INSET`` pixels
    further in, if those inner lines are mostly light as well (not noise, nor a board inside a thin,
    unevenly lit bezel). Otherwise the strokes decide
    (``ink_skew``): dark ink lies below its surroundings, in dim light or under a vignette that darkens the
    border, and chalk above them, even inside a light frame."""
    sample = grey[::3, ::3]
    if quantile(sample, 0.5) > 0.5:
        return True
    dark, light = quantile(sample, 0.01), quantile(sample, 0.99)
    if light - dark > 0.2:
        middle, part = dark + 0.5 * (light - dark), dark + 0.75 * (light - dark)
        d = min(INSET, (min(grey.shape) - 1) // 2)
        sides = (grey[0], grey[-1], grey[:, 0], grey[:, -1])
        inner = (grey[d], grey[-1 - d], grey[:, d], grey[:, -1 - d])  # the lines ``INSET`` pixels inside them
        dark_there = sum((side < middle).any() for side in sides)
        # or part dark and darker further in, over 5 px: a stroke's blurred edge, not a bezel lit unevenly or noise
        soft = [ndimage.uniform_filter1d(line, 5, mode="nearest") for line in sides + inner]  # noise averaged out
        led_in = sum(((side < middle) | ((a < part) & (b < a - 0.05))).any()
                     for side, a, b in zip(sides, soft[:4], soft[4:]))
        border_light = quantile(np.concatenate(sides), 0.5) > middle
        if border_light and (dark_there >= 3 or (led_in >= 3 and quantile(np.concatenate(inner), 0.5) > middle)):
            return True
    return ink_skew(grey) < -0.5


def ink_skew(grey: np.ndarray) -> float:
    """Skewness of (H, W) grey less its local mean (a window of a quarter of the image): negative when a
    minority of pixels lie well below their surroundings (dark strokes on paper, however the light falls
    off), positive for light strokes on a dark board. 0 for a flat image."""
    size = max(3, min(grey.shape) // 4)
    detail = (grey - ndimage.uniform_filter(grey, size=size, mode="nearest"))[::2, ::2].ravel()
    detail = detail - detail.mean()
    spread = float(detail.std())
    return float((detail ** 3).mean()) / spread ** 3 if spread > 1e-6 else 0.0


def quantile(a: np.ndarray, q: float) -> float:
    """The ``q`` quantile (0..1) of the values of ``a``, the nearest rank: one partial sort, none of
    np.percentile's checks, which cost more than the sort itself on the small arrays used here; far in a
    tail of a large array, only the values beyond a sample's quantile are sorted (exact all the same)."""
    flat = a.ravel()
    n = flat.size
    k = min(n - 1, int(q * n))
    if n > 4096 and not 0.1 * n <= k <= 0.9 * n:  # far in a tail: partition only the values beyond a level a
        sample = flat[::16]                            # sample puts a little further in, if they include the kth
        if k > n // 2:
            j = max(0, int((k / n - 0.02) * sample.size))
            tail = flat[~(flat < np.partition(sample, j)[j])]  # sorted(flat)[n - tail.size:] (NaN last, kept)
            if tail.size >= n - k:
                return float(np.partition(tail, k - (n - tail.size))[k - (n - tail.size)])
        else:
            j = min(sample.size - 1, int((k / n + 0.02) * sample.size))
            tail = flat[flat <= np.partition(sample, j)[j]]  # sorted(flat)[:tail.size]
            if tail.size > k:
                return float(np.partition(tail, k)[k])
    return float(np.partition(flat, k)[k])


TINY = 20  # pixels: a digit this small is still looked for among faint shading


def _paper_level(ink: np.ndarray, tiles: int) -> np.ndarray | float:
    """Smooth estimate of the background under the ink: (H, W), or one number if the paper is even.

    Each tile's paper level is a low percentile of it; a quadratic surface
    fitted to those levels (tiles with ink in them rejected as outliers, twice)
    follows a light gradient and a vignette out to the corners. A narrow
    picture (the shorter side under 80 px, so fewer than ``FEW_TILES`` tiles)
    gets ``paper_plane`` instead.
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
    if level.size < FEW_TILES:  # a narrow picture (a tight-cropped one): ink may fill most tiles
        t = paper_and_ink(ink)
        return float(np.median(level)) if t is None else paper_plane(ink, t)
    above = level - level.min()
    if np.mean((above > 0.004) & (above < 0.1)) < 0.05:  # tiles are paper or ink, with no shades between:
        return float(level.min())                           # even light, as a drawing on a screen
    cy = np.repeat((np.arange(ny) + 0.5) * th / h, nx)  # tile centres, row by row as ``level``
    cx = np.tile((np.arange(nx) + 0.5) * tw / w, ny)
    basis = _quadratic(cy, cx)
    # start from the darker tiles: paper, even under a bold digit in a tight crop (and enough for the fit)
    use = level <= quantile(level, max(0.3, (basis.shape[1] + 2) / level.size))
    for _ in range(3):
        coef, *_ = np.linalg.lstsq(basis[use], level[use], rcond=None)
        residual = level - basis @ coef
        below = residual[use & (residual <= 0)]
        spread = 1.4826 * quantile(np.abs(below), 0.5) + 2e-3 if below.size else 2e-3
        use = residual < 3 * spread  # tiles well above the surface hold ink
        if use.sum() < basis.shape[1] + 2:
            return float(np.median(level))
    c0, c1, c2, c3, c4, c5 = coef
    y, x = np.arange(h) / h, np.arange(w) / w
    rows, slope, cols = c0 + c1 * y + c3 * y * y, c2 + c4 * y, c5 * x * x  # (h,), (h,), (w,): two passes over (H, W)
    return (rows[:, None] + slope[:, None] * x[None, :]).astype(np.float32) + cols.astype(np.float32)[None, :]


FEW_TILES = 20  # fewer tiles than this (4 x 4 or fewer) leave too few paper tiles to fit the 6 terms of a surface


def paper_plane(ink: np.ndarray, t: float, least: float = 0.25) -> np.ndarray | float:
    """The paper under (H, W) ink of a narrow picture (a tight-cropped one), where a bold digit may fill
    most of it: the pixels below ``t`` (``paper_and_ink``'s threshold) are paper; each tile (square, half
    the shorter side, or at least 8 px along the longer) with at least ``least`` of them gives their 25th
    percentile, the level ``_paper_level`` and ``noise_level`` take for paper, so a stroke's blurred edge
    does not pull it up; a plane through those levels, sloping only along the axes the tiles span, follows
    the light across the image: (H, W). One level, the paper's 25th percentile, if fewer than four tiles
    have paper enough."""
    h, w = ink.shape
    paper_mask = ink < t
    side = max(8, min(h, w) // 2)
    ny, nx = max(1, h // side), max(1, w // side)
    th, tw = h // ny, w // nx
    points = []  # (y, x, level) of tiles with paper enough, y and x as fractions of the image
    for i in range(ny):
        for j in range(nx):
            tile, is_paper = (a[i * th:(i + 1) * th, j * tw:(j + 1) * tw] for a in (ink, paper_mask))
            if is_paper.mean() >= least:
                points.append(((i + 0.5) * th / h, (j + 0.5) * tw / w, quantile(tile[is_paper], 0.25)))
    if len(points) < 4:
        return quantile(ink[paper_mask], 0.25)
    y, x, level = np.array(points).T
    axes = [k for k, c in ((1, y), (2, x)) if np.ptp(c) > 0]  # all tiles in one column: no slope across it
    coef = np.zeros(3)
    coef[[0] + axes], *_ = np.linalg.lstsq(_quadratic(y, x)[:, [0] + axes], level, rcond=None)  # 1, y, x
    return (coef[0] + coef[1] * (np.arange(h) / h)[:, None] + coef[2] * (np.arange(w) / w)[None, :]).astype(np.float32)


def paper_and_ink(ink: np.ndarray, least: float = 0.15, apart: float = 3.2, contrast: float = 0.2) -> float | None:
    """The level below which (H, W) ink is paper, ``otsu_threshold``; None unless paper and ink are two
    clear classes: the paper at least ``least`` of the image (not a strip of desk beside an empty sheet),
    and the medians of the two at least ``contrast`` and ``apart`` times their pooled robust deviation apart
    (``spread``; medians, so the few pixels of a stroke's blurred edge do not count). Noise or a smooth
    gradient split in two are 2.0 to 2.9 deviations apart; paper and a digit's strokes 2.7 to 36 in the
    tuning sources' narrow pictures, 98% of them over 3.3; wood grain or two flat areas may be further
    apart, but by less than a fifth of the range."""
    values = ink.ravel().astype(np.float64)
    t = otsu_threshold(values)
    if t is None:
        return None
    low = values < t
    n = low.mean()
    if not least <= n < 1:
        return None
    lo, hi = values[low], values[~low]
    pooled = np.sqrt(n * spread(lo) ** 2 + (1 - n) * spread(hi) ** 2)
    gap = quantile(hi, 0.5) - quantile(lo, 0.5)
    return t if gap >= max(apart * pooled, contrast) else None


def spread(values: np.ndarray) -> float:
    """The deviation of (n,) values that outliers leave alone: 1.4826 times the median absolute deviation
    (nearest-rank medians, ``quantile``)."""
    return 1.4826 * quantile(np.abs(values - quantile(values, 0.5)), 0.5)


def otsu_threshold(values: np.ndarray, bins: int = 128) -> float | None:
    """The level splitting (n,) values into the two classes with the most variance between them (Otsu,
    on a histogram of ``bins``); None if the values span less than 1e-4 (a flat image)."""
    values = values.astype(np.float64)
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < 1e-4:
        return None
    hist, edges = np.histogram(values, bins=bins, range=(lo, hi))
    centres = (edges[:-1] + edges[1:]) / 2
    n0 = np.cumsum(hist)[:-1]  # pixels at or below each candidate split
    s0 = np.cumsum(hist * centres)[:-1]
    n1, s1 = hist.sum() - n0, float(np.sum(hist * centres)) - s0
    between = n0 * n1 * (s0 / np.maximum(n0, 1) - s1 / np.maximum(n1, 1)) ** 2
    return float(edges[int(np.argmax(between)) + 1])


def _shading(ink: np.ndarray, f: int = 4) -> np.ndarray:
    """What the quadratic surface missed: a grey opening of the image shrunk ``f`` times, smoothed and
    brought back to full size. (H, W). The window is a fifth of the image, and always wider than 2.5
    strokes, so no stroke, however wide, is taken for shading; if that leaves no room, nothing is removed.
    Pixels below the paper level count as paper."""
    h, w = ink.shape
    if min(h, w) < 12 * f:
        return np.zeros_like(ink)
    width = stroke_width(ink > 0.5 * quantile(ink, 0.995))
    size = max(3, min(h, w) // (5 * f), int(np.ceil(2.5 * width / f)))
    if size * f > min(h, w) // 2:  # strokes as wide as a quarter of the image: no window fits between them
        return np.zeros_like(ink)
    # below the paper is not ink (a desk lighter than the sheet, beyond its edge): counted at the paper's level,
    # it cannot drag the level down beside it and make the sheet's shaded edge stand out as a band of ink
    small = np.asarray(Image.fromarray(np.maximum(ink, 0), "F").reduce(f), dtype=np.float32)  # f x f block means
    level = ndimage.uniform_filter(ndimage.grey_opening(small, size=(size, size)), size=size, mode="nearest")
    return np.asarray(Image.fromarray(level.astype(np.float32), "F").resize((w, h), Image.Resampling.BILINEAR),
                      dtype=np.float32)


def stroke_width(mask: np.ndarray) -> float:
    """Typical width in pixels of the strokes in a boolean (H, W) mask: twice the area over the
    outline's length, which is a stroke's width for long strokes of any shape. 0 for an empty mask."""
    area = int(mask.sum())
    if area == 0:
        return 0.0
    # inside: the pixel and its four neighbours are set (a binary erosion, the image's border outside)
    inside = mask[1:-1, 1:-1] & mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    outline = area - int(inside.sum())
    return 2.0 * area / max(outline, 1)


def remove_lines(ink: np.ndarray, thin: int = 3, across: float = 0.7) -> np.ndarray:
    """Ruled or squared paper: take off the printed lines. A line is a band of at most ``thin`` rows (or
    columns) in which straight runs longer than half the image cover at least ``across`` of its width.
    A digit's bar may be as long, but not in a band that thin with nothing above or below it. Only the
    line's own level is taken off, so a stroke it crosses keeps what lies above that level. (H, W)."""
    cut = np.zeros_like(ink)
    for axis in (0, 1):  # 0: horizontal lines (rows), 1: vertical lines (columns), both found on the same ink
        a = ink if axis == 0 else ink.T
        h, w = a.shape
        if w < 32:
            continue
        if not (np.mean(a > 0.03, axis=1) >= across).any():  # no row is inked across: no line to look for
            continue
        straight = ndimage.grey_opening(a, size=(1, w // 2))  # runs at least half the image long
        # (h,) a row's line level: a low quantile of its straight runs, so a stroke on top does not count
        k = (straight > 0).sum(axis=1)
        level = np.sort(straight, axis=1)[np.arange(h), np.minimum(w - k + k // 4, w - 1)] * (k > 0)
        covered = (np.mean(straight > 0.5 * level[:, None] + 1e-6, axis=1) >= across) & (level > 0)
        bands, n = ndimage.label(covered)
        if n == 0:
            continue
        heights = np.bincount(bands, minlength=n + 1)
        line_rows = (bands > 0) & (heights[bands] <= thin)
        here = np.where(line_rows[:, None], np.minimum(a, level[:, None]), 0.0)
        cut = np.maximum(cut, here if axis == 0 else here.T)
    return ink - cut


def _quadratic(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(n,) coordinates -> (n, 6) basis 1, y, x, y^2, xy, x^2."""
    return np.stack([np.ones_like(y), y, x, y * y, x * y, x * x], axis=1)


# ---- 3. specks ----------------------------------------------------------------------------------


def keep_strokes(ink: np.ndarray, fraction: float = 0.08, strong: float = 0.5, near: float = 0.4) -> np.ndarray:
    """Keep the connected blobs that are strokes of the digit: their strong ink (above ``strong``) is at
    least ``fraction`` of the largest blob's, and they lie within ``near`` of the largest blob's size from
    its box. Dust is too small, leftover shading too faint, a pen mark beside the digit too far. (H, W).

    Desk along the border (``peel_border_bands``, ``edge_bands``) goes first. The ink was stretched to its
    brightest part, which may be that desk, far darker than a pencil digit: so the other blobs are counted
    at half of ``strong`` when deciding whether there is a digit elsewhere, and what is kept is stretched
    again (``restretch``) so that its strokes reach 1."""
    ink = peel_border_bands(ink, strong)
    labels, n = ndimage.label(ink > 0, structure=np.ones((3, 3)))
    if n == 0:
        return ink
    mass = np.bincount(labels.ravel(), weights=(ink > strong).ravel(), minlength=n + 1)
    mass[0] = 0.0  # label 0 is the background
    boxes = ndimage.find_objects(labels)
    seen = (ink > strong) | ((ink > strong / 2) & (mass[labels] == 0))  # a faint blob by its ink above strong / 2
    bands = edge_bands(labels, boxes, seen)  # the sheet's edge, the desk beyond it, or a digit at the border:
    if bands.any():  # not the digit if there is one elsewhere (more than a speck of dust)
        some = np.bincount(labels.ravel(), weights=(ink > strong / 2).ravel(), minlength=n + 1)
        some[0] = 0.0
        best = some[1:][~bands].max(initial=0.0)
        if best >= min(0.03 * mass[1:][bands].max(), 8.0):
            # a blob that only hugs the border (no longer than 30% of a side) may be a stroke flush with it,
            # a one at the edge: it goes only for a blob elsewhere with a quarter of its ink, not for a speck
            drop = bands & (runs_along(boxes, ink.shape) | (mass[1:] <= 4 * best))
            mass[1:][drop] = 0.0
            if mass.max() == 0:
                mass = np.where(np.r_[False, ~drop], some, 0.0)
    mass[1:][underlines(boxes, mass[1:])] = 0.0  # a rule drawn under the digit is not part of it
    if mass.max() == 0:  # nothing strong anywhere: no stroke to keep
        return np.zeros_like(ink)
    keep = mass >= fraction * mass.max()
    main = boxes[int(mass.argmax()) - 1]
    (y0, y1), (x0, x1) = ((sl.start, sl.stop) for sl in main)
    my, mx = near * (y1 - y0), near * (x1 - x0)
    for i in np.flatnonzero(keep):
        (by, bx) = boxes[i - 1]
        if by.stop < y0 - my or by.start > y1 + my or bx.stop < x0 - mx or bx.start > x1 + mx:
            keep[i] = False
    return restretch(np.where(keep[labels], ink, 0.0).astype(np.float32), strong)


def underlines(boxes: list[tuple[slice, slice]], mass: np.ndarray, flat: float = 0.2, gap: float = 0.05,
               wide: float = 0.5) -> np.ndarray:
    """(n,) True for the blobs (boxes ``boxes``, strong ink ``mass`` (n,)) that underline the rest: a bar (its
    box at most ``flat`` as high as wide, at least 8 px wide, with strong ink) wholly below the other blobs
    with strong ink (more than a speck: 8 pixels, and a tenth of the bar's), with a gap of at least ``gap``
    of their height between, and at least ``wide`` of their width long. Such a line under an answer joined
    the digit (a 0 with a base) or, holding more ink than a thin digit, was kept alone. The base of a 2 or
    the foot of a 1 meets the strokes above it; one drawn apart from them, with paper between, cannot be
    told from an underline, and goes (a 2 is then read as a 7: 5 of 400 pen digits skipping above the base,
    in an attack). One pass over the blobs, heaviest first, however many there are."""
    n = len(boxes)
    if n == 0:
        return np.zeros(0, bool)
    top, left, bottom, right = np.array([(by.start, bx.start, by.stop, bx.stop) for by, bx in boxes]).T
    bars = (bottom - top <= flat * (right - left)) & (right - left >= 8) & (mass > 0)
    others = np.flatnonzero(~bars)
    if not bars.any() or others.size == 0:
        return np.zeros(n, bool)
    others = others[np.argsort(-mass[others], kind="stable")]  # heaviest first: the blobs above a level of
    extent = [np.minimum.accumulate(top[others]), np.maximum.accumulate(bottom[others]),  # strong ink are a
              np.minimum.accumulate(left[others]), np.maximum.accumulate(right[others])]  # prefix of them
    bar = np.flatnonzero(bars)
    # how many of the other blobs have ink enough beside each bar: those at least as heavy as its level
    count = np.searchsorted(-mass[others], -np.maximum(8.0, 0.1 * mass[bar]), side="right")
    at = np.maximum(count - 1, 0)
    rest_top, rest_bottom, rest_left, rest_right = (e[at] for e in extent)
    out = np.zeros(n, bool)
    out[bar] = (count > 0) & (top[bar] >= rest_bottom + gap * (rest_bottom - rest_top)) & \
        (right[bar] - left[bar] >= wide * (rest_right - rest_left))
    return out


def restretch(ink: np.ndarray, strong: float = 0.5, low: float = 0.15) -> np.ndarray:
    """(H, W) ink divided by the 95th percentile of its pixels above ``low`` when that is below ``strong``
    (clipped to 1): strokes that were stretched to a desk since taken away reach 1 again. Unchanged if
    fewer than ``TINY`` pixels are above ``low`` (specks are not made into strokes)."""
    above = ink[ink > low]
    if above.size < TINY:
        return ink
    peak = quantile(above, 0.95)
    return np.clip(ink / peak, 0.0, 1.0).astype(ink.dtype) if peak < strong else ink


def peel_border_bands(ink: np.ndarray, strong: float = 0.5, low: float = 0.15, fringe: int = 2) -> np.ndarray:
    """(H, W) ink without the bands of desk along its border: the lines (rows or columns) inked end to end
    (above ``low``) from a side inward (``border_band_depths``), and ``fringe`` lines more. A dark desk
    around a sheet makes them, and a digit touching the desk joins it, so ``edge_bands`` cannot tell them
    apart as blobs. A digit cut tight may ink border lines too (a 7's bar, a straight stem along a side), so
    the bands found are peeled all together or not at all: only if they frame three sides or four, or if
    the thinnest is more than twice as thick as the strokes left (above ``strong``); what ink is left is
    stretched again (``restretch``): a faint digit in a dark frame was stretched to the frame. If fewer than
    ``TINY`` pixels are left, the bands were all there was: on two sides or more, an empty sheet on a desk,
    so no ink at all; on one, it may be a stroke flush with the border, and stays."""
    depths = border_band_depths(ink > low)
    if not any(depths):
        return ink
    h, w = ink.shape
    top, right, bottom, left = depths
    cut = np.zeros(ink.shape, bool)
    if top:
        cut[:top + fringe] = True
    if right:
        cut[:, max(0, w - right - fringe):] = True
    if bottom:
        cut[max(0, h - bottom - fringe):] = True
    if left:
        cut[:, :left + fringe] = True
    rest = (ink > low) & ~cut  # not ``strong``: a faint digit inside a dark frame is below it, the ink stretched to the frame
    banded = sum(d > 0 for d in depths)  # sides with a band
    if rest.sum() < TINY:  # nothing but the bands: desk on two sides or more around an empty sheet (not a 0,
        return np.zeros_like(ink) if banded >= 2 else ink  # a 5 or a 7); on one, a stroke?
    if banded < 3 and min(d for d in depths if d) <= 2 * stroke_width(rest & (ink > strong)):  # may be a stroke
        return ink                                                                             # of the digit
    return restretch(np.where(cut, 0.0, ink).astype(ink.dtype), strong, low)  # a pencil digit framed by a dark desk


def border_band_depths(mask: np.ndarray, across: float = 0.9, deepest: float = 0.15) -> tuple[int, int, int, int]:
    """(top, right, bottom, left): how many lines of (H, W) ``mask``, from each side inward, are set over at
    least ``across`` of their length, counted while they last; 0 where the first is not, or where they
    reach deeper than ``deepest`` of the image (a digit filling a tight crop, not a band along it)."""
    h, w = mask.shape
    rows, cols = mask.mean(axis=1), mask.mean(axis=0)
    depths = []
    for cover, size in ((rows, h), (cols[::-1], w), (rows[::-1], h), (cols, w)):
        full = cover >= across
        k = len(full) if full.all() else int(np.argmin(full))
        depths.append(k if k <= deepest * size else 0)
    return tuple(depths)


def edge_bands(labels: np.ndarray, boxes: list[tuple[slice, slice]], strong: np.ndarray, frame: float = 0.15,
               along: float = 0.3, hug: float = 4.0, contact_min: int = 8) -> np.ndarray:
    """(n,) True for the blobs of ``labels`` (H, W), boxes ``boxes``, whose strong ink (``strong``, (H, W)
    bool), if any, lies wholly in the image's outer ``frame`` (15% of each side), and that either run along at least
    ``along`` of a side (``runs_along``) or hug the border: they touch it over at least ``contact_min``
    pixels and ``hug`` times their thickness there (their area over that contact). That is the edge of a
    sheet photographed on a desk, a strip or wedge of the desk, or a corner of it. A digit near the border
    reaches further in; one cut by the border meets it across a stroke, about as long as the stroke is
    wide; a stroke flush with the border hugs it too (``keep_strokes`` weighs that)."""
    h, w = labels.shape
    n = len(boxes)
    fh, fw = max(1, int(frame * h)), max(1, int(frame * w))
    middle = (slice(fh, h - fh), slice(fw, w - fw))
    inner = np.bincount(labels[middle][strong[middle]], minlength=n + 1)[1:]
    contact = border_contact(labels, n)
    area = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    hugs = (contact >= contact_min) & (contact * contact >= hug * area)  # contact >= hug * (area / contact)
    return (inner == 0) & (runs_along(boxes, labels.shape, along) | hugs)


def runs_along(boxes: list[tuple[slice, slice]], shape: tuple[int, int], along: float = 0.3) -> np.ndarray:
    """(n,) True for the boxes at least ``along`` of an image of ``shape`` (H, W) high or wide."""
    h, w = shape
    return np.array([by.stop - by.start >= along * h or bx.stop - bx.start >= along * w for by, bx in boxes], bool)


def border_contact(labels: np.ndarray, n: int) -> np.ndarray:
    """(n,) how many pixels of each blob 1..n of ``labels`` (H, W) lie on the image's outermost rows and columns."""
    edge = np.zeros(labels.shape, bool)
    edge[[0, -1], :] = True
    edge[:, [0, -1]] = True
    return np.bincount(labels[edge], minlength=n + 1)[1:]


# ---- 4. size and place --------------------------------------------------------------------------


def fit_box(ink: np.ndarray, strong: float = 0.2) -> np.ndarray:
    """Crop to the ink (pixels above ``strong``: faint fringes do not widen the box), make strokes thinner
    as wide as MNIST's (``stroke_to_mnist_width``), scale the longer side to 20 px (aspect kept, anti-aliased), centre the mass in 28x28."""
    top, left, bottom, right = ink_box(ink, strong) or ink_box(ink, 0.0)
    crop = stroke_to_mnist_width(ink[top:bottom, left:right])
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
    dy = min(max(round(CENTRE - cy), -y0), SIZE - y0 - size[1])
    dx = min(max(round(CENTRE - cx), -x0), SIZE - x0 - size[0])
    return np.roll(out, (dy, dx), axis=(0, 1))


MIN_WIDTH, MAX_WIDTH = 0.11, 0.22  # MNIST's strokes are 2.0-4.1 px wide in its 20-px box (5th-95th percentile)
MAX_RADIUS = 8  # px: a wider change is made on the crop shrunk to need no more (a whole sheet's blob took 2 s)


def stroke_to_mnist_width(crop: np.ndarray) -> np.ndarray:
    """Strokes brought into MNIST's range of widths, relative to the digit's longer side: a hairline
    (a pencil in a large photo) dilated to MIN_WIDTH, a marker's blob eroded to MAX_WIDTH, so that the
    20-px digit has strokes as MNIST's do. (h, w) -> (h, w)."""
    length = max(crop.shape)
    width = stroke_width(crop > 0.5)
    if width == 0:
        return crop
    if width < MIN_WIDTH * length:
        r, grow = (MIN_WIDTH * length - width) / 2, ndimage.grey_dilation
    elif width > MAX_WIDTH * length:
        r, grow = (width - MAX_WIDTH * length) / 2, ndimage.grey_erosion
    else:
        return crop
    if r < 0.5:
        return crop
    if r <= MAX_RADIUS:
        return grow(crop, footprint=disk(r))
    h, w = crop.shape  # a disk's cost grows with its area: change the strokes at a smaller scale, then back
    f = MAX_RADIUS / r
    small = Image.fromarray(crop.astype(np.float32), "F").resize((max(1, round(w * f)), max(1, round(h * f))),
                                                                  Image.Resampling.BILINEAR)
    changed = grow(np.asarray(small, np.float32), footprint=disk(MAX_RADIUS))
    return np.asarray(Image.fromarray(changed, "F").resize((w, h), Image.Resampling.BILINEAR), np.float32)


def disk(r: float) -> np.ndarray:
    """(2k+1, 2k+1) bool footprint of the pixels within ``r`` of the centre, k = int(r)."""
    yy, xx = np.mgrid[-int(r):int(r) + 1, -int(r):int(r) + 1]
    return yy ** 2 + xx ** 2 <= r * r + 0.5


def to_png(digit: np.ndarray) -> bytes:
    """A (28, 28) digit in [0, 1] as 8-bit grey PNG bytes: what the model saw."""
    buf = io.BytesIO()
    Image.fromarray((np.clip(digit, 0, 1) * 255).round().astype(np.uint8), "L").save(buf, format="PNG")
    return buf.getvalue()


def save_preview(digit: np.ndarray, path: str | os.PathLike) -> None:
    """Write a (28, 28) digit as a PNG, atomically."""
    atomic_write_bytes(Path(path), to_png(digit))

"""Conditions a camera or a crop puts on a photo, applied to the photos of a source, to see which ones
``to_mnist`` holds up under: a different question from "which source", asked of the tuning sources only
(never of the held-out one).

    tight      cropped to the ink with a margin of 0-2 px: the digit touches the border on every side
    snug       cropped with a margin of a tenth of the digit's height
    vignette   the corners darkened, as by a cheap lens (the light falls to 40% at the far corners)
    frame      a dark band of 6% of the shorter side along all four sides, as a desk around a sheet

Each condition is a function ``(grey (H, W) floats in [0, 1], rng) -> grey`` or None where it does not
apply (no ink found to crop to); ``apply`` maps a source's photos ``[(label, bytes, ext)]`` through one.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def ink_box(grey: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, left, bottom, right), exclusive, of the pixels well darker than the paper (the median), or None."""
    rows, cols = np.nonzero(grey < np.median(grey) - 0.15)
    if rows.size == 0:
        return None
    return int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1


def crop_to_ink(grey: np.ndarray, margin: int) -> np.ndarray | None:
    box = ink_box(grey)
    if box is None:
        return None
    top, left, bottom, right = box
    return grey[max(0, top - margin):bottom + margin, max(0, left - margin):right + margin]


def tight(grey: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    return crop_to_ink(grey, int(rng.integers(0, 3)))


def snug(grey: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    box = ink_box(grey)
    return None if box is None else crop_to_ink(grey, (box[2] - box[0]) // 10)


def vignette(grey: np.ndarray, rng: np.random.Generator, strength: float = 0.3) -> np.ndarray:
    """Light falling as the square of the distance from the centre (1 at the middle of a side): by
    ``strength`` there, by twice that in the corners."""
    h, w = grey.shape
    y, x = np.mgrid[:h, :w]
    r = np.hypot((y - h / 2) / (h / 2), (x - w / 2) / (w / 2))
    return grey * (1 - strength * r ** 2)


def frame(grey: np.ndarray, rng: np.random.Generator, width: float = 0.06, light: float = 0.4) -> np.ndarray:
    out = grey.copy()
    band = max(1, int(width * min(grey.shape)))
    for side in (np.s_[:band], np.s_[-band:]):
        out[side] *= light
        out[:, side] *= light
    return out


CONDITIONS = {"tight": tight, "snug": snug, "vignette": vignette, "frame": frame}


def apply(made: list[tuple[int, bytes, str]], condition, seed: int = 5) -> list[tuple[int, bytes, str]]:
    """The photos of ``made`` in grey under ``condition``, as PNG; those it does not apply to are left out."""
    rng = np.random.default_rng(seed)
    out = []
    for label, data, _ in made:
        grey = np.asarray(Image.open(io.BytesIO(data)).convert("L"), np.float32) / 255
        changed = condition(grey, rng)
        if changed is None:
            continue
        buf = io.BytesIO()
        Image.fromarray((changed.clip(0, 1) * 255).round().astype(np.uint8)).save(buf, "PNG")
        out.append((label, buf.getvalue(), "png"))
    return out

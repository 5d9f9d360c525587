"""Ones written with a flag: MNIST's ones given the short up-stroke (and sometimes the foot) that many
writers outside North America add, which a model trained on MNIST alone reads as a 7 (or a 2).

    with_flags(x, y, share, seed)   x (N, 784) float in [0, 1], y (N,): a copy in which ``share`` of the
                                    ones carry a flag, 1 in 3 of those a foot too
    add_flag(image, rng, foot)      one (28, 28) one -> the same one with a flag drawn at its top (as it
                                    was if it leans left or has a flag or serif already)

The flag leaves the top of the stroke down and to the left, 15-45% of the digit's height long, 15-65
degrees below the horizontal, as wide as the stroke; the foot is a bar across the bottom, 25-60% of the
height wide. Strokes are drawn at 4x and averaged down, anti-aliased as MNIST's are.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

UP = 4  # drawing scale


def add_flag(image: np.ndarray, rng: np.random.Generator, foot: bool = False) -> np.ndarray:
    """(28, 28) float in [0, 1], a one -> (28, 28) with a flag (and a foot) drawn in; unchanged if blank."""
    rows = np.flatnonzero((image > 0.3).any(axis=1))
    if rows.size < 4:
        return image
    top, bottom = rows[0], rows[-1]
    height = bottom - top + 1
    width = float(np.clip(image.sum() / height, 1.2, 4.0))  # the stroke's width: its ink per row
    x_top = float(np.average(np.arange(28), weights=image[top:top + 2].sum(axis=0) + 1e-6))
    x_bottom = float(np.average(np.arange(28), weights=image[bottom - 1:bottom + 1].sum(axis=0) + 1e-6))
    top_ink = np.flatnonzero((image[top:top + 3] > 0.3).any(axis=0))
    if x_top < x_bottom - 1 or np.ptp(top_ink) + 1 > 2.5 * width:  # leaning left (a flag would make a 7),
        return image                                                # or a flag or serif there already
    length = rng.uniform(0.15, 0.45) * height
    angle = np.radians(rng.uniform(15, 65))
    strokes = [[(x_top, top + 0.5), (x_top - length * np.cos(angle), top + 0.5 + length * np.sin(angle))]]
    if foot:
        half = rng.uniform(0.125, 0.3) * height
        shift = rng.uniform(-0.3, 0.3) * half
        strokes.append([(x_bottom - half + shift, bottom + 0.5), (x_bottom + half + shift, bottom + 0.5)])
    canvas = Image.new("L", (28 * UP, 28 * UP), 0)
    draw = ImageDraw.Draw(canvas)
    for (x0, y0), (x1, y1) in strokes:
        draw.line([(x0 * UP, y0 * UP), (x1 * UP, y1 * UP)], fill=255, width=max(1, round(width * UP)), joint="curve")
    drawn = np.asarray(canvas.reduce(UP), np.float32) / 255
    return np.maximum(image, drawn)


def with_flags(x: np.ndarray, y: np.ndarray, share: float = 0.5, seed: int = 0) -> np.ndarray:
    """A copy of x (N, 784) in which ``share`` of the images labelled 1 carry a flag (a third of them a foot)."""
    rng = np.random.default_rng(seed)
    out = x.copy()
    ones = np.flatnonzero(y == 1)
    for i in ones[rng.random(len(ones)) < share]:
        flagged = add_flag(x[i].reshape(28, 28), rng, foot=rng.random() < 1 / 3)
        out[i] = flagged.reshape(-1).astype(x.dtype)
    return out

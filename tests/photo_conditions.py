"""Conditions a camera or a crop puts on a photo, applied to the photos of a source, to see which ones
``to_mnist`` holds up under: a different question from "which source", asked of the tuning sources only
(never of the held-out one).

    tight      cut to the digit with no margin: it touches the border on every side
    snug       cropped with a margin of a tenth of the digit's height
    vignette   the corners darkened, as by a cheap lens (the light falls to 40% at the far corners)
    frame      a band of 6% of the shorter side along all four sides darkened to 40% (what lies under it
               still shows through), as a dark desk around a sheet
    underline  a line in the ink's level under the digit, as under an answer (where it fits)

Each condition is a function ``grey (H, W) floats in [0, 1] -> grey`` or None where it does not
apply (no digit found to crop to); ``apply`` maps a source's photos ``[(label, bytes, ext)]`` through one.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from scipy import ndimage


def ink_box(grey: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, left, bottom, right), exclusive, of the digit in (H, W) grey, or None if no ink stands out.

    The ink is what differs from the paper (the median: dark ink on light paper, or light on a dark board)
    by more than half the strongest contrast, after the paper's shading (a grey opening wider than any
    stroke) is taken off. The digit is the largest blob of it and the blobs near it of at least a tenth
    of its area; dust, the printed lines of ruled paper (long and thin) and marks further away are not.
    Written apart from ``to_mnist``'s own steps on purpose: the crop must not share the blind spots of
    what it tests."""
    ink = 1.0 - grey if np.median(grey) > 0.5 else grey.copy()  # ink high
    size = max(3, min(ink.shape) // 5)
    ink -= ndimage.uniform_filter(ndimage.grey_opening(ink, size=(size, size)), size)
    strong = ink > 0.5 * np.quantile(ink, 0.999)
    labels, n = ndimage.label(strong, structure=np.ones((3, 3)))
    if n == 0:
        return None
    boxes = ndimage.find_objects(labels)
    area = np.bincount(labels.ravel(), minlength=n + 1)[1:].astype(float)
    h, w = grey.shape
    for i, (by, bx) in enumerate(boxes):
        tall, wide = by.stop - by.start, bx.stop - bx.start
        if (wide > 0.6 * w and tall < 0.05 * h) or (tall > 0.6 * h and wide < 0.05 * w):
            area[i] = 0  # a printed line
    if area.max() == 0:
        return None
    main = boxes[int(area.argmax())]
    top, left, bottom, right = main[0].start, main[1].start, main[0].stop, main[1].stop
    reach = 0.4 * max(bottom - top, right - left)
    for i, (by, bx) in enumerate(boxes):
        if area[i] >= 0.1 * area.max() and by.stop >= top - reach and by.start <= bottom + reach \
                and bx.stop >= left - reach and bx.start <= right + reach:
            top, left = min(top, by.start), min(left, bx.start)
            bottom, right = max(bottom, by.stop), max(right, bx.stop)
    return int(top), int(left), int(bottom), int(right)


def crop_to_ink(grey: np.ndarray, box: tuple[int, int, int, int], margin: int) -> np.ndarray:
    """(H, W) grey cut to ``box`` widened by ``margin`` px on each side (within the image)."""
    top, left, bottom, right = box
    return grey[max(0, top - margin):bottom + margin, max(0, left - margin):right + margin]


def tight(grey: np.ndarray) -> np.ndarray | None:
    """Cut to the digit with no margin: it touches every border."""
    box = ink_box(grey)
    return None if box is None else crop_to_ink(grey, box, 0)


def snug(grey: np.ndarray) -> np.ndarray | None:
    """Cut to the digit with a margin of a tenth of its height."""
    box = ink_box(grey)
    return None if box is None else crop_to_ink(grey, box, (box[2] - box[0]) // 10)


def vignette(grey: np.ndarray, strength: float = 0.3) -> np.ndarray:
    """Light falling as the square of the distance from the centre (1 at the middle of a side): by
    ``strength`` there, by twice that in the corners."""
    h, w = grey.shape
    y, x = np.mgrid[:h, :w]
    r = np.hypot((y + 0.5 - h / 2) / (h / 2), (x + 0.5 - w / 2) / (w / 2))
    return grey * (1 - strength * r ** 2)


def frame(grey: np.ndarray, width: float = 0.06, light: float = 0.4) -> np.ndarray:
    """A band ``width`` of the shorter side along every side, its light brought down to ``light``."""
    band = max(1, int(width * min(grey.shape)))
    edge = np.zeros(grey.shape, bool)
    edge[:band] = edge[-band:] = True
    edge[:, :band] = edge[:, -band:] = True
    return np.where(edge, grey * light, grey)


def underline(grey: np.ndarray, gap: float = 0.12, thick: float = 0.05, beyond: float = 0.15) -> np.ndarray | None:
    """A line drawn under the digit, as under an answer: ``gap`` of the digit's height below it, ``thick``
    of that height thick (at least 2 px), reaching ``beyond`` of its width past each side, in the ink's
    own level (the darkest or, on a dark board, lightest percent of the digit's box). None where it would
    not fit in the photo or no digit is found."""
    box = ink_box(grey)
    if box is None:
        return None
    top, left, bottom, right = box
    height, width = bottom - top, right - left
    y0 = bottom + max(1, round(gap * height))
    y1 = y0 + max(2, round(thick * height))
    x0, x1 = left - round(beyond * width), right + round(beyond * width)
    if y1 > grey.shape[0] or x0 < 0 or x1 > grey.shape[1]:
        return None
    digit = grey[top:bottom, left:right]
    dark_ink = np.median(grey) > 0.5
    out = grey.copy()
    out[y0:y1, x0:x1] = np.quantile(digit, 0.01) if dark_ink else np.quantile(digit, 0.99)
    return out


CONDITIONS = {"tight": tight, "snug": snug, "vignette": vignette, "frame": frame, "underline": underline}


def none(grey: np.ndarray) -> np.ndarray:
    """No condition: the photo as made, in grey (the baseline the others are compared with)."""
    return grey


def apply(made: list[tuple[int, bytes, str]], condition) -> list[tuple[int, bytes, str]]:
    """The photos of ``made`` in grey under ``condition``, as PNG; those it does not apply to are left out."""
    out = []
    for label, data, _ in made:
        grey = np.asarray(Image.open(io.BytesIO(data)).convert("L"), np.float32) / 255
        changed = condition(grey)
        if changed is None:
            continue
        buf = io.BytesIO()
        Image.fromarray((changed.clip(0, 1) * 255).round().astype(np.uint8)).save(buf, "PNG")
        out.append((label, buf.getvalue(), "png"))
    return out

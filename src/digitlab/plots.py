"""PNG pictures of digits and training curves, drawn with matplotlib's Agg canvas.

Figures are built with ``matplotlib.figure.Figure`` directly (no pyplot global
state, no display needed) and written atomically.
"""

from __future__ import annotations

import io
import math
import os
from typing import Sequence

import numpy as np

from ._io import atomic_write_bytes


def _save(fig, path: str | os.PathLike) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    atomic_write_bytes(path, buf.getvalue())


def image_grid(images: np.ndarray, titles: Sequence[str], suptitle: str, path: str | os.PathLike,
               cols: int | None = None) -> None:
    """Draw ``images`` (N, H, W), ink bright, as a grid of grey pictures with a
    title above each, and save it as a PNG at ``path``."""
    from matplotlib.figure import Figure

    n = len(images)
    cols = cols or min(n, max(1, math.ceil(math.sqrt(n))))
    rows = max(1, math.ceil(n / cols))
    fig = Figure(figsize=(1.6 * cols, 1.75 * rows + 0.6), layout="constrained")
    fig.suptitle(suptitle)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax, image, title in zip(axes, images, titles):
        ax.imshow(image, cmap="Greys", interpolation="nearest")  # dark ink on white, as on paper
        ax.set_title(title, fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[n:]:
        ax.axis("off")
    _save(fig, path)

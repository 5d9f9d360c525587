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

from .._io import atomic_write_bytes


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


def line_plot(series: dict[str, Sequence[float]], title: str, xlabel: str, ylabel: str, path: str | os.PathLike,
              ylim: tuple[float, float] | None = None, x: Sequence[float] | None = None,
              integer_x: bool = False) -> None:
    """One line per named series, with a legend when there is more than one; saved as PNG.

    ``integer_x`` puts ticks only on whole numbers (epochs: no "epoch 1.5")."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    for (name, values), style in zip(series.items(), ("-", "--", ":", "-.")):
        xs = x if x is not None else np.arange(1, len(values) + 1)
        ax.plot(xs, values, style, label=name, marker="o" if len(values) <= 60 else None, markersize=3)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if ylim:
        ax.set_ylim(*ylim)
    if integer_x:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    if len(series) > 1:
        ax.legend()
    _save(fig, path)


def confusion_plot(matrix: np.ndarray, names: Sequence[str], title: str, path: str | os.PathLike) -> None:
    """A confusion matrix as a heat map with the count in every cell; rows true, columns predicted."""
    from matplotlib.figure import Figure

    k = len(names)
    fig = Figure(figsize=(1.0 + 0.62 * k, 0.8 + 0.55 * k), layout="constrained")
    ax = fig.subplots()
    shown = np.log1p(matrix)  # the diagonal would otherwise wash out every mistake
    ax.imshow(shown, cmap="Blues")
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if shown[i, j] > 0.6 * shown.max() else "black")
    long_names = max(map(len, names)) > 2  # class names, not digits: slant them to fit
    ax.set_xticks(range(k), names, rotation=45 if long_names else 0, ha="right" if long_names else "center")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    _save(fig, path)

"""The CLI's PNGs: ``digitlab.plots``' Figures written to files.

The pictures themselves are drawn by ``digitlab.plots`` (which the Python API and notebooks use too);
these keep the CLI's call signatures: the same arguments and a ``path`` to write the PNG to.
"""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from .. import plots as figures


def image_grid(images: np.ndarray, titles: Sequence[str], suptitle: str, path: str | os.PathLike,
               cols: int | None = None) -> None:
    """``images`` (N, H, W), ink bright, as a grid of grey pictures with a title above each -> PNG."""
    figures.save_png(figures.image_grid(images, titles, suptitle, cols), path)


def line_plot(series: dict[str, Sequence[float]], title: str, xlabel: str, ylabel: str, path: str | os.PathLike,
              ylim: tuple[float, float] | None = None, x: Sequence[float] | None = None,
              integer_x: bool = False) -> None:
    """One line per named series, with a legend when there is more than one -> PNG."""
    figures.save_png(figures.line_plot(series, title, xlabel, ylabel, ylim, x, integer_x), path)


def confusion_plot(matrix: np.ndarray, names: Sequence[str], title: str, path: str | os.PathLike) -> None:
    """A confusion matrix as a heat map with the count in every cell; rows true, columns predicted -> PNG."""
    figures.save_png(figures.confusion(matrix, names, title), path)

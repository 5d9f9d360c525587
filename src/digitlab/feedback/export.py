"""The stored examples as IDX files, MNIST's own format, so any MNIST tool can read them."""

from __future__ import annotations

import os
from pathlib import Path

from .store import FeedbackError, Store
from ..idx import write_idx


def export_idx(store: Store, out_dir: str | os.PathLike, prefix: str = "feedback") -> tuple[Path, Path, int]:
    """Write ``<prefix>-images-idx3-ubyte`` (N, 28, 28) and ``<prefix>-labels-idx1-ubyte`` (N,) into
    ``out_dir``; returns both paths and N. Pixels are 0-255 with ink bright, as in MNIST."""
    x, y = store.arrays()
    if not len(x):
        raise FeedbackError(f"{store.where}: no examples to export")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    images, labels = out_dir / f"{prefix}-images-idx3-ubyte", out_dir / f"{prefix}-labels-idx1-ubyte"
    write_idx(images, x)
    write_idx(labels, y)
    return images, labels, len(x)

"""Classification metrics on integer labels."""

from __future__ import annotations

import numpy as np


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> np.ndarray:
    """(classes, classes) counts: row = true class, column = predicted class."""
    return np.bincount(np.asarray(y_true) * classes + np.asarray(y_pred), minlength=classes * classes).reshape(classes, classes)


def per_class_accuracy(matrix: np.ndarray) -> np.ndarray:
    """Recall of each class (classes,) from a confusion matrix; NaN for a class with no examples."""
    totals = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diag(matrix) / totals


def format_confusion(matrix: np.ndarray, names: list[str]) -> str:
    """The matrix as a text table: true classes down, predicted across, with per-class accuracy."""
    width = max(5, len(str(matrix.max())) + 1)
    head = "true\\pred".ljust(10) + "".join(str(i).rjust(width) for i in range(len(names))) + "   accuracy"
    acc = per_class_accuracy(matrix)
    lines = [head]
    for i, row in enumerate(matrix):
        label = f"{i} {names[i]}" if names[i] != str(i) else str(i)
        lines.append(label[:10].ljust(10) + "".join(str(v).rjust(width) for v in row) + f"   {100 * acc[i]:7.2f}%")
    return "\n".join(lines)

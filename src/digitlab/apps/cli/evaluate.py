"""``digitlab evaluate``: test accuracy and loss, per-class accuracy and the confusion matrix."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ... import datasets
from ...nn import metrics
from ...nn.losses import CategoricalCrossentropy
from ...utils import to_categorical
from ...vision import predict
from .. import plots
from . import checks
from .train import beside


def add_parser(sub) -> None:
    p = sub.add_parser("evaluate", help="test accuracy, loss, per-class accuracy and confusion matrix of a model",
                       description="Evaluate a model on the test set: print accuracy, loss, per-class accuracy and "
                                   "the confusion matrix, and save the matrix as a PNG.")
    p.add_argument("model", help="a model file (.safetensors)")
    p.add_argument("--dataset", choices=sorted(datasets.DATASETS),
                   help="test set to use (default: the one the model was trained on, else mnist)")
    p.add_argument("--json", action="store_true", help="print the results as one JSON object")
    p.add_argument("--confusion", metavar="PNG", help="where to save the matrix (default: <model>.confusion.png)")
    p.set_defaults(run=run)


def evaluate(model, x: np.ndarray, y: np.ndarray) -> tuple[float, float, np.ndarray]:
    """(accuracy, cross-entropy loss, confusion matrix (K, K)) of ``model`` on images x and labels y."""
    probabilities = model.predict(x.reshape(len(x), *model.input_shape))  # (N, 784), (N, 28, 28) or (N, 28, 28, 1)
    predicted = probabilities.argmax(axis=1)
    loss = CategoricalCrossentropy()(probabilities, to_categorical(y, probabilities.shape[1]))
    return float(np.mean(predicted == y)), loss, metrics.confusion_matrix(y, predicted, probabilities.shape[1])


def run(args: argparse.Namespace) -> int:
    png = checks.output_file(args.confusion or beside(args.model, ".confusion.png"), "confusion matrix (.png)")
    model = predict.load(args.model)
    dataset = args.dataset or (model.meta.get("train") or {}).get("dataset", "mnist")
    _, (x, y) = datasets.load_flat(dataset)
    accuracy, loss, matrix = evaluate(model, x, y)
    names = list(datasets.get(dataset).class_names)
    plots.confusion_plot(matrix, names, f"{Path(args.model).name} on {dataset} test: {100 * accuracy:.2f}% correct", png)
    if args.json:
        print(json.dumps({"model": args.model, "dataset": dataset, "samples": len(y), "accuracy": accuracy,
                          "loss": loss, "per_class_accuracy": metrics.per_class_accuracy(matrix).tolist(),
                          "confusion_matrix": matrix.tolist(), "confusion_png": str(png)}))
        return 0
    print(f"{args.model} on the {dataset} test set ({len(y):,} images)")
    print(f"accuracy {100 * accuracy:.2f}%   loss {loss:.4f}\n")
    print(metrics.format_confusion(matrix, names))
    print(f"\nwrote {png}")
    return 0

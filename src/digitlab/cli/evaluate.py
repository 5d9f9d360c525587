"""``digitlab evaluate``: test accuracy and loss, per-class accuracy and the confusion matrix."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from .. import datasets, metrics, plots, predict
from ..losses import CategoricalCrossentropy
from ..utils import to_categorical


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


def evaluate(model, x: np.ndarray, y: np.ndarray) -> dict:
    probabilities = model.predict(x)
    predicted = probabilities.argmax(axis=1)
    matrix = metrics.confusion_matrix(y, predicted, probabilities.shape[1])
    return {"accuracy": float(np.mean(predicted == y)),
            "loss": CategoricalCrossentropy()(probabilities, to_categorical(y, probabilities.shape[1])),
            "per_class_accuracy": [float(v) for v in metrics.per_class_accuracy(matrix)],
            "confusion_matrix": matrix.tolist(), "predicted": predicted}


def run(args: argparse.Namespace) -> int:
    model = predict.load(args.model)
    dataset = args.dataset or (model.meta.get("train") or {}).get("dataset", "mnist")
    _, (x, y) = datasets.load_flat(dataset)
    results = evaluate(model, x, y)
    results.pop("predicted")
    names = list(datasets.get(dataset).class_names)
    path = Path(args.model)
    png = args.confusion or str(path.with_name(path.name.removesuffix(".safetensors") + ".confusion.png"))
    plots.confusion_plot(np.array(results["confusion_matrix"]), names,
                         f"{path.name} on {dataset} test: {100 * results['accuracy']:.2f}% correct", png)
    results = {"model": str(path), "dataset": dataset, "samples": len(y), **results, "confusion_png": png}
    if args.json:
        print(json.dumps(results))
        return 0
    print(f"{path} on the {dataset} test set ({len(y):,} images)")
    print(f"accuracy {100 * results['accuracy']:.2f}%   loss {results['loss']:.4f}\n")
    print(metrics.format_confusion(np.array(results["confusion_matrix"]), names))
    print(f"\nwrote {png}")
    return 0

"""``digitlab show``: PNG grids of dataset images, as in seed 000's figures."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ... import datasets
from ...errors import DigitlabError
from .. import plots
from . import checks


def add_parser(sub) -> None:
    p = sub.add_parser(
        "show", help="write a PNG grid of dataset images",
        description="Write a PNG of dataset images: by default the first example of each class; "
                    "with --digit, a grid of --count examples of one class.")
    p.add_argument("--dataset", choices=sorted(datasets.DATASETS), default="mnist", help="dataset (default: mnist)")
    p.add_argument("--split", choices=("train", "test"), default="train", help="which split (default: train)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--digit", type=int, metavar="CLASS", help="show examples of this class only (0-9)")
    what.add_argument("--misclassified", metavar="MODEL", help="show test images this model gets wrong")
    what.add_argument("--correct", metavar="MODEL", help="show test images this model gets right")
    p.add_argument("--count", type=int, default=25, help="how many examples with --digit, --misclassified or "
                                                         "--correct (default: 25)")
    p.add_argument("--out", help="PNG file to write (default: <dataset>_<what>.png)")
    p.add_argument("--path", help="directory holding the four IDX files (default: search; see README)")
    p.set_defaults(run=run)


def first_of_each_class(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Index of the first example of each class 0..n_classes-1, in class order. (n_classes,)"""
    present = np.unique(labels)
    missing = sorted(set(range(n_classes)) - set(present.tolist()))
    if missing:
        raise DigitlabError(f"classes {missing} have no examples")
    return np.array([np.flatnonzero(labels == c)[0] for c in range(n_classes)])


def _class_label(names, c: int) -> str:
    return f"{c}: {names[c]}" if names[c] != str(c) else f"digit {c}"


def by_model(args: argparse.Namespace, correct: bool) -> int:
    """Test images the model gets right (or wrong), titled with true and predicted labels."""
    from ...vision import predict

    model_path = args.correct if correct else args.misclassified
    model = predict.load(model_path)
    dataset = (model.meta.get("train") or {}).get("dataset", args.dataset)
    out = checks.output_file(args.out or f"{dataset}_{'correct' if correct else 'misclassified'}.png", "PNG")
    _, (x, y) = datasets.load_flat(dataset)
    predicted = model.predict(x.reshape(len(x), *model.input_shape)).argmax(axis=1)
    chosen = np.flatnonzero((predicted == y) == correct)[: args.count]
    if not len(chosen):
        raise DigitlabError(f"{model_path}: no {'correct' if correct else 'misclassified'} test images to show")
    names = datasets.get(dataset).class_names
    titles = [f"true {names[y[i]]} / pred {names[predicted[i]]}" for i in chosen]
    kind = "correctly classified" if correct else "misclassified"
    wrong = int(np.sum(predicted != y))
    plots.image_grid(x[chosen].reshape(-1, 28, 28), titles,
                     f"{len(chosen)} {kind} {dataset} test images ({wrong:,} of {len(y):,} wrong)", out)
    print(f"wrote {out}")
    return 0


def run(args: argparse.Namespace) -> int:
    checks.at_least(args.count, 1, "--count")
    if args.out:
        checks.output_file(args.out, "PNG")
    if args.path:
        if not Path(args.path).is_dir():
            raise DigitlabError(f"{args.path}: no such directory; expected a directory holding the four IDX files")
    if args.misclassified or args.correct:
        return by_model(args, correct=bool(args.correct))
    spec = datasets.get(args.dataset)
    if args.digit is not None and not 0 <= args.digit < len(spec.class_names):
        raise checks.UsageError(f"--digit {args.digit}: expected 0 to {len(spec.class_names) - 1}")
    out = checks.output_file(args.out or (f"{spec.name}_classes.png" if args.digit is None
                                          else f"{spec.name}_class{args.digit}.png"), "PNG")
    files = datasets.load_files(spec, args.path)
    images, labels = files[f"{args.split}_images"].array, files[f"{args.split}_labels"].array
    names = spec.class_names
    if args.digit is None:
        chosen = first_of_each_class(labels, len(names))
        titles = [_class_label(names, c) for c in range(len(names))]
        suptitle = f"{spec.name} {args.split}: first example of each class"
        cols = 5
    else:
        chosen = np.flatnonzero(labels == args.digit)[: args.count]
        titles = [f"#{i}" for i in chosen]
        suptitle = f"{spec.name} {args.split}: {len(chosen)} examples of {_class_label(names, args.digit)}"
        cols = None
    plots.image_grid(images[chosen], titles, suptitle, out, cols=cols)
    print(f"wrote {out}")
    return 0

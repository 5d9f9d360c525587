"""``digitlab plot``: training curves from a history JSON written by ``digitlab train``; with
``--weights MODEL``, pictures of what the model learned (drawn by ``digitlab.plots``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ... import datasets
from ... import plots as figures
from ..._io import read_regular
from ...errors import DigitlabError
from ...utils import json_depth
from ...vision import predict
from .. import plots
from . import checks


def add_parser(sub) -> None:
    p = sub.add_parser("plot", help="cost and accuracy curves from a training history (.history.json)",
                       description="Write seed 000's two cost plots (per minibatch, and averaged per epoch) and "
                                   "train/validation accuracy per epoch (seed 003) as PNG files.")
    p.add_argument("history", nargs="?", help="a .history.json file from digitlab train")
    p.add_argument("--weights", metavar="MODEL",
                   help="instead, draw what a model (.safetensors) learned: its first Dense layer's weights as "
                        "28x28 images, convolution filters and feature maps, the ten probabilities for a test "
                        "digit, and its training curves")
    p.add_argument("--digit", type=int, default=0, metavar="INDEX",
                   help="with --weights: the test image used for feature maps and probabilities (default 0)")
    p.add_argument("--out", metavar="DIR", help="directory for the PNGs (default: next to the history or model file)")
    p.set_defaults(run=run)


MAX_HISTORY_BYTES = 256 * 1024 * 1024


def _numbers(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)


def read_history(path: Path) -> dict:
    try:
        text = read_regular(path, MAX_HISTORY_BYTES, DigitlabError, ".history.json file")
    except FileNotFoundError:
        raise DigitlabError(f"{path}: no such file; expected a .history.json from digitlab train") from None
    not_json = DigitlabError(f"{path}: not a training history (not JSON); expected a .history.json from "
                             "digitlab train" + (", not the model file" if path.suffix == ".safetensors" else ""))
    if text.lstrip()[:1] not in (b"{", b"["):
        raise not_json
    if json_depth(text) > 8:
        raise DigitlabError(f"{path}: JSON nested too deep; expected a .history.json from digitlab train")
    try:
        history = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise not_json from None
    if not isinstance(history, dict) or not _numbers(history.get("batch_loss")) or not _numbers(history.get("loss")) \
            or not history["loss"] or not all(_numbers(history.get(k, [])) for k in ("accuracy", "val_accuracy")):
        raise DigitlabError(f"{path}: not a training history (no 'batch_loss' and 'loss' lists of numbers); "
                            "expected a .history.json from digitlab train")
    return history


def run(args: argparse.Namespace) -> int:
    if (args.history is None) == (args.weights is None):
        raise checks.UsageError("give a history file, or --weights MODEL (not both)")
    if args.weights:
        return run_weights(args)
    path = Path(args.history)
    out = checks.output_dir(args.out or path.parent, "plots (.png)")
    history = read_history(path)
    out.mkdir(parents=True, exist_ok=True)
    stem = path.name.removesuffix(".json").removesuffix(".history")
    batch = np.asarray(history["batch_loss"], dtype=float)
    epochs = len(history["loss"])
    per_epoch = [chunk.mean() for chunk in np.array_split(batch, epochs)] if len(batch) >= epochs else history["loss"]
    written = [out / f"{stem}.cost_per_batch.png", out / f"{stem}.cost_per_epoch.png"]
    plots.line_plot({"cost": batch}, f"{stem}: cost of every minibatch", "minibatch", "cost", written[0])
    plots.line_plot({"cost": per_epoch}, f"{stem}: cost averaged over each epoch", "epoch", "cost", written[1],
                    integer_x=True)
    accuracy = {k: history[v] for k, v in (("train", "accuracy"), ("validation", "val_accuracy")) if history.get(v)}
    if accuracy:
        written.append(out / f"{stem}.accuracy.png")
        # the axis fits the curves (a 0-1 axis flattens them), never above 1
        top = max(max(v) for v in accuracy.values())
        bottom = min(min(v) for v in accuracy.values())
        margin = max(0.005, 0.1 * (top - bottom))
        plots.line_plot(accuracy, f"{stem}: accuracy per epoch", "epoch", "accuracy", written[-1],
                        ylim=(max(0.0, bottom - margin), min(1.0, top + margin)), integer_x=True)
    for w in written:
        print(f"wrote {w}")
    return 0


def run_weights(args: argparse.Namespace) -> int:
    path = Path(args.weights)
    out = checks.output_dir(args.out or path.parent, "plots (.png)")
    model = predict.load(path)
    dataset = (model.meta.get("train") or {}).get("dataset", "mnist")
    _, (x, y) = datasets.load_flat(dataset)
    if not 0 <= args.digit < len(x):
        raise checks.UsageError(f"--digit must be in 0..{len(x) - 1}, got {args.digit}")
    digit = x[args.digit:args.digit + 1].reshape((1,) + tuple(model.input_shape))
    out.mkdir(parents=True, exist_ok=True)
    stem = path.name.removesuffix(".safetensors")
    for name, fig in figures.learned(model, digit, y[args.digit:args.digit + 1]).items():
        written = out / f"{stem}.{name}.png"
        figures.save_png(fig, written)
        print(f"wrote {written}")
    return 0

"""``digitlab train``: train a model on MNIST (or Fashion-MNIST) and save it with its history.

Ctrl-C puts the model back to the end of its last complete epoch and saves
that as a checkpoint; ``--resume CHECKPOINT`` carries on from it exactly.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from ... import datasets
from ..._io import atomic_write_bytes
from ...errors import DigitlabError, InvalidValueError
from ...nn import Sequential, load_model, optimizers
from ...nn.callbacks import EpochSnapshot
from ...tutorials import presets
from . import checks, finetune
from .checks import UsageError


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train a model and save it (.safetensors) with its history (.json)",
                       description="Train a model with Keras-style progress; save it and its history as JSON "
                                   "next to it. Ctrl-C saves a checkpoint that --resume continues exactly.")
    arch = p.add_mutually_exclusive_group()
    arch.add_argument("--preset", choices=sorted(presets.PRESETS),
                      help="a named recipe (architecture, optimizer, epochs); see README")
    arch.add_argument("--layers", metavar="N,N,...",
                      help="hidden layer sizes, e.g. 512,256 (default: 512); or a convolutional network, e.g. "
                           "conv32,pool,conv64,pool,dropout:0.5 (items: conv32, conv32:5, conv32:3:same, pool, pool:3, "
                           "avgpool, bn, dropout:0.5, gap, and Dense sizes)")
    arch.add_argument("--resume", metavar="CHECKPOINT", help="continue training a checkpoint or saved model")
    finetune.add_arguments(p, arch)
    p.add_argument("--activation", default=None, help="hidden activation with --layers (default: relu)")
    p.add_argument("--optimizer", default=None, help="sgd, rmsprop or adam with --layers (default: adam)")
    p.add_argument("--lr", type=float, help="learning rate (default: the optimizer's)")
    p.add_argument("--epochs", type=int, help="train until this many epochs in all (default: the preset's, or 5)")
    p.add_argument("--batch-size", type=int, help="minibatch size (default: the preset's, or 128)")
    p.add_argument("--seed", type=int, default=0, help="random seed for weights, shuffling and augmentation (default: 0)")
    p.add_argument("--augment", action="store_true", help="train on randomly shifted, rotated, scaled and "
                                                          "thickened digits (on for --preset default)")
    p.add_argument("--dataset", choices=sorted(datasets.DATASETS), default=None, help="dataset (default: mnist)")
    p.add_argument("--out", required=True, help="model file to write (.safetensors)")
    p.add_argument("--history", metavar="PATH", help="training history to write (default: <out>.history.json)")
    p.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1, help="0 silent, 1 progress bar, 2 a line per epoch")
    p.set_defaults(run=run)


def build(args) -> tuple[Sequential, dict]:
    """A new compiled model and its training settings, from --preset or --layers (a recipe of its own)."""
    if args.preset:
        preset = presets.get(args.preset)
        if args.activation or args.optimizer:
            raise UsageError("--activation and --optimizer go with --layers; a --preset fixes them")
        preset = dataclasses.replace(preset, augment=preset.augment or args.augment)
        settings = {"epochs": preset.epochs, "batch_size": preset.batch_size, "preset": preset.name}
    elif args.layers and presets.is_conv_spec(args.layers):  # a convolutional network
        stack = presets.stack_from_spec(args.layers, args.activation or "relu")
        preset = presets.Preset("convnet", "from --layers", (), args.optimizer or "adam", epochs=5, stack=stack,
                                augment=args.augment)
        settings = {"epochs": preset.epochs, "batch_size": preset.batch_size}
    else:
        try:
            hidden = tuple(int(n) for n in (args.layers or "512").split(",") if n.strip())
        except ValueError:
            raise UsageError(f"--layers {args.layers!r}: expected sizes separated by commas, like 512,256") from None
        if not hidden or min(hidden) < 1:
            raise UsageError(f"--layers {args.layers!r}: expected positive sizes, like 512,256")
        preset = presets.Preset("mlp", "from --layers", hidden, args.optimizer or "adam", epochs=5,
                                activation=args.activation or "relu", augment=args.augment)
        settings = {"epochs": preset.epochs, "batch_size": preset.batch_size}
    try:
        model = preset.build(seed=args.seed)
    except InvalidValueError as e:  # an unknown --activation or --optimizer name
        raise UsageError(str(e)) from None
    if preset.validation_split:
        settings["validation_split"] = preset.validation_split
    if args.lr is not None:
        schedule = model.optimizer.learning_rate
        if isinstance(schedule, optimizers.ExponentialDecay):  # the preset's schedule, from this rate
            schedule.initial_learning_rate = args.lr
        else:
            model.optimizer.learning_rate = args.lr
    return model, settings


def beside(model_file: str | Path, suffix: str) -> Path:
    """A file next to a model file: m.safetensors -> m<suffix> (".history.json", ".confusion.png", ...)."""
    model_file = Path(model_file)
    return model_file.with_name(model_file.name.removesuffix(".safetensors") + suffix)


def check(args: argparse.Namespace) -> tuple[Path, Path, Path]:
    """The model, history and checkpoint paths, once every option and path has been checked."""
    for key in ("epochs", "batch_size"):
        checks.at_least(getattr(args, key), 1, f"--{key.replace('_', '-')}")
    if args.lr is not None and not args.lr > 0:
        raise UsageError(f"--lr {args.lr}: expected a learning rate > 0")
    if args.resume:
        checks.input_file(args.resume, "digitlab model or checkpoint (.safetensors)")
    out = checks.output_file(args.out, "model file (.safetensors)")
    history = checks.output_file(args.history or beside(out, ".history.json"), "history file (.json)")
    checkpoint = checks.output_file(beside(out, ".checkpoint.safetensors"), "checkpoint (.safetensors)")
    if len({out.resolve(), history.resolve(), checkpoint.resolve()}) < 3:
        raise UsageError(f"--out {out} and --history {history}: expected two different files")
    return out, history, checkpoint


def run(args: argparse.Namespace) -> int:
    if args.finetune:
        return finetune.run(args)
    out, history_file, checkpoint = check(args)
    if args.resume:
        model = load_model(args.resume)
        if model.optimizer is None:
            raise DigitlabError(f"{args.resume}: saved without its optimizer; cannot resume training")
        settings = dict(model.meta.get("train") or {"epochs": 5, "batch_size": 128})
        dataset = args.dataset or settings.get("dataset", "mnist")
    else:
        model, settings = build(args)
        dataset = args.dataset or "mnist"
    settings["dataset"] = dataset
    for key in ("epochs", "batch_size"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    model.meta["train"] = settings
    done = len(model.history.epoch)
    if done >= settings["epochs"]:
        raise DigitlabError(f"{args.resume}: already trained for {done} epoch{'' if done == 1 else 's'}; "
                            f"pass --epochs N with N > {done}")
    (x, y), (xt, yt) = datasets.load_flat(dataset)
    preset = presets.PRESETS.get(settings.get("preset", ""))
    if preset is not None and preset.flag_ones and dataset == "mnist":  # the same ones flagged on --resume
        x = preset.training_images(x, y, seed=settings.setdefault("flag_ones_seed", args.seed))
    snapshot = EpochSnapshot()
    try:
        # validation: the test set (for the curves only), or the preset's own split of the training set
        validation = ({"validation_split": settings["validation_split"]} if settings.get("validation_split")
                      else {"validation_data": (xt, yt)})
        model.fit(x, y, batch_size=settings["batch_size"], epochs=settings["epochs"], initial_epoch=done,
                  verbose=args.verbose, callbacks=[snapshot], **validation)
    except KeyboardInterrupt:
        completed = snapshot.restore()
        model.save(checkpoint)
        print(f"\ninterrupted: saved the model as of epoch {completed}/{settings['epochs']} to {checkpoint}\n"
              f"continue with: digitlab train --resume {checkpoint} --out {out}", file=sys.stderr)
        return 130
    model.save(out)
    history = {"epochs": model.history.epoch, **model.history.to_dict(), "train": settings}
    atomic_write_bytes(history_file, (json.dumps(history, indent=1) + "\n").encode())
    loss, accuracy = model.evaluate(xt, yt, verbose=0)
    print(f"test accuracy {100 * accuracy:.2f}%, loss {loss:.4f}")
    print(f"wrote {out} and {history_file}")
    return 0

"""``digitlab train --finetune MODEL --feedback DB --out FILE``: a personal model from the examples you labelled.

It reports accuracy on your held-back examples and on MNIST test, before and after, and refuses to
write a model that lost more than --max-mnist-drop points on MNIST.
"""

from __future__ import annotations

import argparse
import dataclasses
import json

from ... import datasets
from ...errors import DigitlabError
from ...feedback import finetune, open_store
from . import checks


def add_arguments(p: argparse.ArgumentParser, arch) -> None:
    """The fine-tuning options of ``digitlab train``; ``arch`` is its group of ways to get a model."""
    arch.add_argument("--finetune", metavar="MODEL", help="fine-tune MODEL ('default': the shipped one) on the "
                                                           "examples in --feedback, with MNIST replayed beside them")
    p.add_argument("--feedback", metavar="PATH|URL", help="with --finetune: the feedback store (default: the one "
                                                          "`digitlab serve` writes)")
    p.add_argument("--replay", type=int, help=f"with --finetune: MNIST digits per epoch (default: "
                                              f"{finetune.Settings.replay})")
    p.add_argument("--repeats", type=int, help=f"with --finetune: copies of each example per epoch (default: "
                                               f"{finetune.Settings.repeats})")
    p.add_argument("--max-mnist-drop", type=float, help="with --finetune: refuse a model that lost more MNIST test "
                                                        f"points (default: {finetune.Settings.max_mnist_drop})")


def run(args: argparse.Namespace) -> int:
    given = {"epochs": args.epochs, "batch_size": args.batch_size, "learning_rate": args.lr, "replay": args.replay,
             "repeats": args.repeats, "max_mnist_drop": args.max_mnist_drop, "seed": args.seed}
    given = {k: v for k, v in given.items() if v is not None}
    for key in ("epochs", "batch_size", "replay", "repeats"):
        if key in given and given[key] < 1:
            raise DigitlabError(f"--{key.replace('_', '-')} {given[key]}: expected at least 1")
    if given.get("learning_rate", 1) <= 0:
        raise DigitlabError(f"--lr {args.lr}: expected a learning rate > 0")
    settings = dataclasses.replace(finetune.Settings(), **given)
    checks.output_file(args.out, "model file (.safetensors)")  # before any training
    with open_store(args.feedback) as store:
        x, y = store.arrays()
        where = store.where
    if not len(x):
        raise DigitlabError(f"{where}: no examples stored yet; label some digits on the web page first")
    base = None if args.finetune == "default" else args.finetune
    model, report = finetune.personal_model(base, x, y, datasets.load_flat("mnist"), settings)
    for line in report.lines():
        print(line)
    model.save(args.out)
    if args.verbose:
        print(json.dumps(dataclasses.asdict(report)) if args.verbose == 2 else f"wrote {args.out}")
    return 0

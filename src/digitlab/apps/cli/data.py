"""``digitlab data info``: where each dataset file came from, and whether it is intact."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from ... import datasets
from ...errors import DigitlabError


def add_parser(sub) -> None:
    p = sub.add_parser("data", help="inspect the datasets", description="Inspect the datasets.")
    data_sub = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    info = data_sub.add_parser("info", help="show where each file is loaded from, its shape, class counts and checksum",
                               description="Load a dataset and show, for each file, where it was loaded from, "
                                           "its shape and dtype, whether its SHA-256 matches, and the class counts.")
    info.add_argument("--dataset", choices=sorted(datasets.DATASETS), default="mnist", help="dataset (default: mnist)")
    info.add_argument("--path", help="directory holding the four IDX files (default: search; see README)")
    info.set_defaults(run=run_info)


def run_info(args: argparse.Namespace) -> int:
    spec = datasets.get(args.dataset)
    files = datasets.load_files(spec, args.path, verify=False)
    print(f"dataset: {spec.name}")
    for f in files.values():
        status = "OK" if f.checksum_ok else f"MISMATCH (expected {f.expected_sha256})"
        print(f"  {f.key:<13} {str(f.array.shape):<16} {f.array.dtype!s:<6} sha256 {status:<3} "
              f"[{f.source}] {f.path}")
    width = max(len("total"), *(len(n) for n in spec.class_names))
    print(f"  {'class':<{width}}  {'train':>6}  {'test':>6}")
    train, test = (class_counts(files[key], len(spec.class_names)) for key in ("train_labels", "test_labels"))
    for i, name in enumerate(spec.class_names):
        print(f"  {name:<{width}}  {train[i]:>6}  {test[i]:>6}")
    print(f"  {'total':<{width}}  {train.sum():>6}  {test.sum():>6}")
    bad = [f for f in files.values() if not f.checksum_ok]
    if bad:
        print(f"digitlab: error: checksum mismatch in {', '.join(str(f.path) for f in bad)}", file=sys.stderr)
        return 1
    return 0


def class_counts(labels: "datasets.base.LoadedFile", classes: int) -> np.ndarray:
    """How many labels fall in each of ``classes`` classes; refused unless every label is an integer class index."""
    a = labels.array
    if a.dtype.kind not in "ui":
        raise DigitlabError(f"{labels.path}: labels are {a.dtype}; expected integer class indices 0-{classes - 1}")
    if a.size and (a.min() < 0 or a.max() >= classes):
        raise DigitlabError(f"{labels.path}: labels range from {a.min()} to {a.max()}; expected class indices "
                            f"0-{classes - 1}")
    return np.bincount(a.reshape(-1).astype(np.intp), minlength=classes)

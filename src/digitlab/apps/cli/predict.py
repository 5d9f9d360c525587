"""``digitlab predict``: the digit in each image file (photos, scans, drawings)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from ...vision import predict
from ..i18n import error_line
from . import checks


def add_parser(sub) -> None:
    p = sub.add_parser("predict", help="recognise the digit in image files or directories of them",
                       description="Prepare each image the way MNIST was made (ink found and cleaned, cropped, "
                                   "scaled to 20 px, centred by mass in 28x28) and print the model's answer.")
    p.add_argument("inputs", nargs="+", metavar="IMAGE_OR_DIR")
    p.add_argument("--model", help="a model file (default: the model shipped with digitlab)")
    p.add_argument("--json", action="store_true", help="print one JSON list of {file, label, confidence, unsure, probabilities} or {file, error}")
    p.add_argument("--top", type=int, default=3, help="how many likeliest digits to print (default: 3)")
    p.add_argument("--save-preprocessed", metavar="DIR", help="write the 28x28 image the model saw for each file")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.top <= 10:
        raise checks.UsageError(f"--top {args.top}: expected 1 to 10")
    if args.save_preprocessed:
        checks.output_dir(args.save_preprocessed, "28x28 images the model saw (.png)")
    model = predict.load(args.model)
    records = predict.predict_files(model, args.inputs, args.save_preprocessed)
    failed = [r for r in records if "error" in r]
    if args.json:
        print(json.dumps(records))
    else:
        for r in records:
            if "error" in r:
                continue
            ranked = sorted(range(10), key=lambda k: -r["probabilities"][k])[: args.top]
            top = ", ".join(f"{k} ({100 * r['probabilities'][k]:.1f}%)" for k in ranked)
            unsure = "  (unsure)" if r["unsure"] else ""
            print(f"{r['file']}: {r['label']}{unsure}    top {args.top}: {top}")
    for r in failed:
        print(error_line("digitlab", r["error"]), file=sys.stderr)
    if args.save_preprocessed:
        print(f"wrote what the model saw to {os.path.join(args.save_preprocessed, '')}", file=sys.stderr)
    return 1 if failed else 0

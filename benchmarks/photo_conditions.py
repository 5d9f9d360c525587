"""``to_mnist`` under conditions a camera or a crop puts on a photo (tests/photo_conditions.py: a tight
crop with the digit touching every border, a snug crop, a vignette, a dark frame of desk), applied
to the fonts and pen sources, both tuning sources; the textbook recipe beside it, the same model.
All photos are turned grey first ("none": grey, no condition); the photos column counts those a condition
applies to (a crop needs a digit found). The held-out source is never used here.

    python benchmarks/photo_conditions.py [--count 300] [--model FILE]

Target (issue 14's list of what must work: a digit touching the border, shadows, a sheet on a desk):
>= 98% under every condition.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.photo_sources
sys.path.insert(0, str(Path(__file__).resolve().parent))

from digitlab.vision import predict  # noqa: E402
from predict_photos import TARGET_ACCURACY, accuracy_on  # noqa: E402
from targets import Targets  # noqa: E402  (benchmarks/targets.py)
from tests import photo_conditions, photo_sources  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="photos per source (default 300)")
    parser.add_argument("--model")
    args = parser.parse_args()
    model = predict.load(args.model)
    targets = Targets("photo_conditions")
    print(f"{args.count} photos per source, in grey; 'textbook' = grey, invert, crop, 20 px box, centre of mass")
    print(f"{'source':<7} {'condition':<10} {'photos':>6} {'to_mnist':>9} {'textbook':>9} {'refused':>8}")
    for source in ("fonts", "pen"):
        made = photo_sources.SOURCES[source](args.count)
        for name, condition in [("none", photo_conditions.none), *photo_conditions.CONDITIONS.items()]:
            photos = photo_conditions.apply(made, condition)
            if not photos:  # no digit found to crop to in any photo
                print(f"{source:<7} {name:<10} {0:>6}")
                targets.check(f"{source} photos, {name}", False, f">= {TARGET_ACCURACY:.2f}%", "no photos")
                continue
            ours, textbook, refused = accuracy_on(model, photos)
            print(f"{source:<7} {name:<10} {len(photos):>6} {ours:>8.2f}% {textbook:>8.2f}% {refused:>7.1f}%",
                  flush=True)
            if condition is not photo_conditions.none:
                targets.at_least(f"{source} photos, {name}", ours, TARGET_ACCURACY, "%", ".2f")
    return targets.report()


if __name__ == "__main__":
    raise SystemExit(main())

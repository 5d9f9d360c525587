"""``digitlab predict`` on synthetic photos of handwritten digits (tests/photos.py): accuracy with the
shipped model, the naive recipe of seed 000 on the same photos, end-to-end speed, and what preprocessing
does to MNIST's own test digits.

    python benchmarks/predict_photos.py [--count 1000] [--model FILE]

Targets (issue 5): >= 95% on the photos; >= 500 images/s end to end (decode, preprocess, predict) on 2 cores.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.photos

from digitlab.vision import predict, preprocess  # noqa: E402
from digitlab.datasets import mnist  # noqa: E402
from tests import photos  # noqa: E402
from targets import Targets  # noqa: E402  (benchmarks/targets.py)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--model")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    model = predict.load(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        paths = photos.write(tmp, args.count)
        runs = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            records = predict.predict_files(model, [tmp])
            runs.append(time.perf_counter() - start)
        by_name = {Path(r["file"]).name: r.get("label", -1) for r in records}
        labels = np.array([int(p.name.split("_")[0]) for p in paths])
        got = np.array([by_name[p.name] for p in paths])
        failed = sum("error" in r for r in records)
        naive = np.array([photos.naive_recipe(p.read_bytes()) for p in paths])
        naive_pred = predict.predict_digits(model, naive).argmax(axis=1)
    from_fonts = (np.arange(len(labels)) // 10) % 2 == 0  # photos alternate: ten from fonts, ten from MNIST
    seconds = statistics.median(runs)
    print(f"{len(paths)} photos ({from_fonts.sum()} handwriting fonts, {(~from_fonts).sum()} MNIST test digits), "
          "PNG and JPEG")
    print(f"digitlab predict:   {100 * np.mean(got == labels):.2f}% correct "
          f"(fonts {100 * np.mean(got[from_fonts] == labels[from_fonts]):.2f}%, "
          f"MNIST digits {100 * np.mean(got[~from_fonts] == labels[~from_fonts]):.2f}%), {failed} refused")
    print(f"naive recipe:       {100 * np.mean(naive_pred == labels):.2f}% correct "
          "(resize to 28x28, fixed threshold at 127, same model)")
    print(f"speed:              median {seconds:.2f} s for {len(paths)} files over {args.repeat} runs = "
          f"{len(paths) / seconds:.0f} images/s end to end")
    _, (xt, yt) = mnist.load_data()
    before = predict.predict_digits(model, xt.astype(np.float32) / 255).argmax(axis=1)
    prepared = np.array([preprocess.to_mnist(im) for im in xt])
    after = predict.predict_digits(model, prepared).argmax(axis=1)
    print(f"MNIST test set:     {100 * np.mean(before == yt):.2f}% as is, {100 * np.mean(after == yt):.2f}% "
          "after to_mnist")
    targets = Targets("predict_photos")
    targets.at_least("photos read correctly", 100 * np.mean(got == labels), 95, "%", ".2f")
    targets.at_least("end to end speed (median run)", len(paths) / seconds, 500, " images/s", ".0f")
    return targets.report()


if __name__ == "__main__":
    sys.exit(main())

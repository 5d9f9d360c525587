"""Seed 000's NeuralNetMLP (784-50-10, 1000 epochs of 50 minibatches) on MNIST: digitlab's time and
accuracy, against the book's own float64 NumPy loop (tests/tutorials/book_mlp.py) run in the same process.

The book's loop is timed over a few epochs and its per-epoch median is projected to 1000 epochs (said
so in the output). Target (issue 4): all 1000 epochs in <= 120 s; test accuracy 95.5%-96.3%.

    python benchmarks/neuralnet_mlp.py [--epochs 1000] [--peer-epochs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.tutorials.book_mlp

from digitlab.datasets import mnist  # noqa: E402
from digitlab.tutorials import NeuralNetMLP  # noqa: E402
from targets import Targets  # noqa: E402  (benchmarks/targets.py)
from tests.tutorials import book_mlp  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--peer-epochs", type=int, default=5)
    args = parser.parse_args()
    (x, y), (xt, yt) = mnist.load_data()
    x, xt = x.reshape(len(x), -1), xt.reshape(len(xt), -1)

    peer = []
    for epoch in range(args.peer_epochs):
        start = time.perf_counter()
        book_mlp.train(x, y, epochs=1, random_state=epoch)
        peer.append(time.perf_counter() - start)
    peer_epoch = statistics.median(peer)

    start = time.perf_counter()
    mlp = NeuralNetMLP(epochs=args.epochs).fit(x, y)
    ours = time.perf_counter() - start
    train, test = np.mean(mlp.predict(x) == y), np.mean(mlp.predict(xt) == yt)

    print(f"digitlab NeuralNetMLP: {args.epochs} epochs in {ours:.1f} s ({1000 * ours / args.epochs:.1f} ms/epoch); "
          f"train {100 * train:.2f}%, test {100 * test:.2f}%")
    print(f"book's float64 loop:   median {1000 * peer_epoch:.1f} ms/epoch over {args.peer_epochs} epochs "
          f"-> {peer_epoch * args.epochs:.0f} s projected for {args.epochs} epochs")
    print(f"speed-up: {peer_epoch * args.epochs / ours:.2f}x")
    targets = Targets("neuralnet_mlp")
    if args.epochs == 1000:
        targets.at_most("1000 epochs", ours, 120, " s", ".1f")
        targets.within("test accuracy", 100 * test, 95.5, 96.3, "%", ".2f")
    else:
        targets.skip("1000 epochs", "<= 120.0 s", f"--epochs {args.epochs}")
        targets.skip("test accuracy", "95.50-96.30%", f"--epochs {args.epochs}")
    return targets.report()


if __name__ == "__main__":
    sys.exit(main())

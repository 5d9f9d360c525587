"""Seed 002's network (784-512 relu-10 softmax, RMSprop, batch 128) on MNIST:
digitlab against PyTorch (CPU, 2 threads), trained identically in the same run.

Prints the median seconds per epoch of each, their ratio, both test
accuracies after the epochs, and digitlab's peak memory. Targets (issue 3):
<= 1.2 s per epoch, >= 1.8x faster than PyTorch, test accuracy >= 97.8%.

    python benchmarks/train_speed.py [--epochs 5] [--skip-torch]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import numpy as np

from digitlab import Sequential, layers
from digitlab.datasets import load_flat
from targets import Targets  # benchmarks/targets.py


def run_digitlab(train, test, epochs: int, seed: int = 0):
    model = Sequential([layers.Dense(512, activation="relu", input_shape=(784,)),
                        layers.Dense(10, activation="softmax")], seed=seed)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    times = []
    for epoch in range(epochs):
        t = time.perf_counter()
        model.fit(*train, batch_size=128, epochs=epoch + 1, initial_epoch=epoch, verbose=0)
        times.append(time.perf_counter() - t)
    return times, model.evaluate(*test, verbose=0)[1]


def run_torch(train, test, epochs: int, seed: int = 0):
    import torch
    from torch import nn

    torch.set_num_threads(2)
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))
    # Keras's RMSprop: rho 0.9, eps 1e-7 (PyTorch puts eps outside the square root; immaterial here)
    opt = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    x, y = torch.from_numpy(train[0]), torch.from_numpy(train[1].astype(np.int64))
    g = torch.Generator().manual_seed(seed)
    times = []
    for _ in range(epochs):
        t = time.perf_counter()
        order = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), 128):
            idx = order[i:i + 128]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t)
    with torch.no_grad():
        pred = net(torch.from_numpy(test[0])).argmax(1).numpy()
    return times, float(np.mean(pred == test[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--skip-torch", action="store_true", help="time digitlab only")
    args = parser.parse_args()
    train, test = load_flat("mnist")
    ours, acc = run_digitlab(train, test, args.epochs)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    m = statistics.median(ours)
    print(f"digitlab : median {m:.3f} s/epoch over {args.epochs} epochs ({', '.join(f'{t:.2f}' for t in ours)}); "
          f"test accuracy {acc:.4f}; peak RSS {peak_mb:.0f} MB")
    targets = Targets("train_speed")
    targets.at_most("digitlab median time per epoch", m, 1.2, " s", ".2f")
    if args.epochs == 5:
        targets.at_least("test accuracy after 5 epochs", 100 * acc, 97.8, "%", ".2f")
    else:
        targets.skip("test accuracy after 5 epochs", ">= 97.80%", f"--epochs {args.epochs}")
    targets.check("peak memory (RSS)", peak_mb < 1024, "< 1024 MB", f"{peak_mb:.0f} MB")
    if not args.skip_torch:
        theirs, tacc = run_torch(train, test, args.epochs)
        mt = statistics.median(theirs)
        print(f"PyTorch  : median {mt:.3f} s/epoch ({', '.join(f'{t:.2f}' for t in theirs)}); test accuracy {tacc:.4f}")
        print(f"ratio    : digitlab is {mt / m:.2f}x faster than PyTorch")
        targets.at_least("speed over PyTorch (its s/epoch / ours)", mt / m, 1.8, "x", ".2f")
    else:
        targets.skip("speed over PyTorch (its s/epoch / ours)", ">= 1.80x", "--skip-torch")
    return targets.report()


if __name__ == "__main__":
    raise SystemExit(main())

"""Training speed against PyTorch (CPU, 2 threads), trained identically in the same run, and against
the floor: the bare float32 matrix products of one epoch, timed in the same run.

    mlp      seed 002's network: 784-512 relu-10 softmax, RMSprop, batch 128, on all 60,000 images.
             Targets: <= 1.2 s/epoch, >= 97.8% test, epoch <= 1.3x its matrix-product floor,
             >= 1.8x faster than PyTorch, < 1 GB peak.
    convnet  keras-io's mnist_convnet (conv32 3x3-pool-conv64 3x3-pool-dropout 0.5-10), Adam, batch 128,
             on the first 54,000 images (its validation_split 0.1). Targets: >= 1.5x faster than PyTorch,
             the same test accuracy within noise (0.5 points), < 2 GB peak.

The floor counts every product in full; digitlab's first layer skips the inputs that are zero in all of a
batch's samples (about a third of MNIST's pixels in a batch of 128), so its products do less than the
floor's and its epoch can come near it.

Prints the median seconds per epoch of each, the floor, the ratios, both test accuracies, and
digitlab's peak memory (measured before PyTorch is imported). Exits 1 if a target is missed.

    python benchmarks/train_speed.py [--model mlp|convnet|both] [--epochs N] [--quick] [--skip-torch]
    python benchmarks/train_speed.py --against-reference [--model ...] [--epochs N] [--quick]
    python benchmarks/train_speed.py --alternate [--model ...] [--epochs N] [--quick] [--threads N]

--quick trains one epoch on 6,000 images: a check that the benchmark runs, not a measurement.
--against-reference times digitlab's default engine against its plain NumPy layers and optimizer rules
(the reference the fused stages and compiled kernels are tested against), alternating epochs in one run.
--alternate times digitlab, PyTorch and the floor one epoch each in turn (medians of --epochs rounds,
default 5): on a busy machine, the fairer comparison. --threads N: both frameworks on N threads (default 2).
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import sys
import time

if "--threads" in sys.argv[:-1]:  # BLAS and Numba read their thread counts once, when they load: before NumPy
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["NUMBA_NUM_THREADS"] = sys.argv[sys.argv.index("--threads") + 1]

import numpy as np  # noqa: E402

from digitlab import Sequential, layers  # noqa: E402
from digitlab.datasets import load_flat  # noqa: E402
from digitlab.nn.layers.conv import _transposed_product  # noqa: E402
from digitlab.tutorials import presets  # noqa: E402
from targets import Targets  # noqa: E402  (benchmarks/targets.py)

THREADS = 2  # PyTorch's threads; --threads sets these and digitlab's (BLAS, Numba)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_epochs(model, x, y, epochs: int, batch_size: int = 128) -> list[float]:
    times = []
    for epoch in range(epochs):
        t = time.perf_counter()
        model.fit(x, y, batch_size=batch_size, epochs=epoch + 1, initial_epoch=epoch, verbose=0)
        times.append(time.perf_counter() - t)
    return times


def floor_seconds(products: list[tuple[tuple[int, int], tuple[int, int], bool]], n: int, batch_size: int = 128,
                  seed: int = 0) -> float:
    """Seconds for the matrix products of one epoch alone: each (a_shape, b_shape, a_transposed) product
    once per batch, on random float32 arrays of those shapes (the last batch as large as the others)."""
    rng = np.random.default_rng(seed)
    pairs = [(rng.random(a, np.float32), rng.random(b, np.float32), t) for a, b, t in products]

    def product(a, b, transposed):  # a transposed product the faster way round, as the engine does it
        return _transposed_product(a, b) if transposed else a @ b
    for p in pairs:  # warm up
        product(*p)
    start = time.perf_counter()
    for _ in range(math.ceil(n / batch_size)):
        for p in pairs:
            product(*p)
    return time.perf_counter() - start


def mlp_products(batch: int = 128) -> list:
    """Forward x @ W1, h @ W2; backward h.T @ dz2, dz2 @ W2.T, x.T @ dz1 (no dL/dx below the first layer)."""
    return [((batch, 784), (784, 512), False), ((batch, 512), (512, 10), False),
            ((batch, 512), (batch, 10), True), ((batch, 10), (10, 512), False), ((batch, 784), (batch, 512), True)]


def convnet_products(batch: int = 128) -> list:
    """im2col products: conv1 (26x26 outputs, 9 inputs -> 32), conv2 (11x11, 288 -> 64), and the dense layer;
    forward, the kernels' gradients, and dL/dx above the first convolution."""
    m1, m2 = batch * 26 * 26, batch * 11 * 11
    return [((m1, 9), (9, 32), False), ((m2, 288), (288, 64), False), ((batch, 1600), (1600, 10), False),
            ((m1, 9), (m1, 32), True), ((m2, 288), (m2, 64), True), ((m2, 64), (64, 288), False),
            ((batch, 1600), (batch, 10), True), ((batch, 10), (10, 1600), False)]


def mlp_model(n, seed=0):
    model = Sequential([layers.Dense(512, activation="relu", input_shape=(784,)),
                        layers.Dense(10, activation="softmax")], seed=seed)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def convnet_model(n, seed=0):
    return presets.get("keras-convnet").build(seed=seed, train_size=n)


def digitlab_mlp(x, y, xt, yt, epochs, seed=0):
    model = mlp_model(len(x), seed)
    return timed_epochs(model, x, y, epochs), model.evaluate(xt, yt, verbose=0)[1]


def digitlab_convnet(x, y, xt, yt, epochs, seed=0):
    model = convnet_model(len(x), seed)
    return timed_epochs(model, x, y, epochs), model.evaluate(xt, yt, verbose=0)[1]


def against_reference(build, x, y, epochs: int) -> tuple[list[float], list[float]]:
    """Epoch times of the reference engine (the NumPy layers and optimizer rules: training stages and
    compiled updates switched off) and of the engine as it trains by default, alternating epoch by
    epoch in this run (reference, default, reference, ...) so that a busy machine slows both alike."""
    from digitlab.nn import optimizers
    from digitlab.nn.layers import fused

    def engine(on: bool) -> None:
        fused.ENABLED = optimizers.COMPILED = on
    models = {}
    for on in (False, True):
        engine(on)
        models[on] = build(len(x))
        models[on].fit(x[:512], y[:512], batch_size=128, epochs=1, verbose=0)  # compiles (or loads) the kernels
    times = {False: [], True: []}
    for _ in range(epochs):
        for on in (False, True):
            engine(on)
            times[on] += timed_epochs(models[on], x, y, 1)
    engine(True)
    return times[False], times[True]


def torch_train(net, opt, x, y, xt, yt, epochs, seed=0):
    import torch

    torch.set_num_threads(THREADS)
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
    g = torch.Generator().manual_seed(seed)
    times = []
    for _ in range(epochs):
        net.train()
        t = time.perf_counter()
        order = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), 128):
            idx = order[i:i + 128]
            opt.zero_grad(set_to_none=True)
            loss_fn(net(x[idx]), y[idx]).backward()
            opt.step()
        times.append(time.perf_counter() - t)
    net.eval()
    with torch.no_grad():  # in batches of 1,000: a convnet's activations for all 10,000 would take ~1 GB
        pred = np.concatenate([net(torch.from_numpy(xt[i:i + 1000])).argmax(1).numpy() for i in range(0, len(xt), 1000)])
    return times, float(np.mean(pred == yt))


def torch_mlp(x, y, xt, yt, epochs, seed=0):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))
    # Keras's RMSprop: rho 0.9, eps 1e-7 (PyTorch puts eps outside the square root; immaterial here)
    opt = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    return torch_train(net, opt, x, y, xt, yt, epochs, seed)


def torch_convnet(x, y, xt, yt, epochs, seed=0):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    net = nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5),
                        nn.Linear(1600, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    return torch_train(net, opt, x, y, xt, yt, epochs, seed)


def alternating(name: str, x, y, xt, yt, rounds: int) -> tuple[list[float], list[float], list[float]]:
    """Epoch times of digitlab and PyTorch and the floor, one of each per round, alternating in this run
    so that a busy machine slows all three alike."""
    model = (mlp_model if name == "mlp" else convnet_model)(len(x))
    model.fit(x[:512], y[:512], batch_size=128, epochs=1, verbose=0)  # compiles (or loads) the kernels
    run_torch = torch_mlp if name == "mlp" else torch_convnet
    products = mlp_products() if name == "mlp" else convnet_products()
    ours, theirs, floors = [], [], []
    for _ in range(rounds):
        ours += timed_epochs(model, x, y, 1)
        theirs += run_torch(x, y, xt[:1000], yt[:1000], 1)[0]
        floors.append(floor_seconds(products, len(x)))
    return ours, theirs, floors


def fmt(times):
    return ", ".join(f"{t:.2f}" for t in times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("mlp", "convnet", "both"), default="both")
    parser.add_argument("--epochs", type=int, default=None, help="epochs per framework (default: 5 MLP, 3 convnet)")
    parser.add_argument("--quick", action="store_true", help="1 epoch on 6,000 images: checks the script runs")
    parser.add_argument("--skip-torch", action="store_true", help="time digitlab only")
    parser.add_argument("--against-reference", action="store_true",
                        help="only compare digitlab with its plain NumPy engine (fused stages and compiled updates "
                             "off), alternating epochs in one run; no targets")
    parser.add_argument("--alternate", action="store_true",
                        help="only time digitlab, PyTorch and the floor one epoch each in turn, in one run; no targets")
    parser.add_argument("--threads", type=int, default=2, help="threads for both frameworks (default 2)")
    args = parser.parse_args()
    global THREADS
    THREADS = args.threads
    (x, y), (xt, yt) = load_flat("mnist")
    models = ["mlp", "convnet"] if args.model == "both" else [args.model]
    if args.alternate:
        for name in models:
            n = 6_000 if args.quick else (60_000 if name == "mlp" else 54_000)
            ours, theirs, floors = alternating(name, x[:n], y[:n], xt, yt, 1 if args.quick else (args.epochs or 5))
            m, mt, f = (statistics.median(v) for v in (ours, theirs, floors))
            print(f"{name} ({n:,} images, {args.threads} threads): digitlab median {m:.3f} s/epoch ({fmt(ours)}); "
                  f"PyTorch {mt:.3f} ({fmt(theirs)}); floor {f:.3f} ({fmt(floors)})")
            print(f"{name}: digitlab is {mt / m:.2f}x faster than PyTorch; its epoch is {m / f:.2f}x the floor")
            speedup = statistics.median(b / a for a, b in zip(ours, theirs))  # each round's own ratio: the machine's
            to_floor = statistics.median(a / b for a, b in zip(ours, floors))  # drift between rounds cancels out
            print(f"{name}: round by round (medians of each round's ratio): {speedup:.2f}x faster than PyTorch; "
                  f"epoch {to_floor:.2f}x the floor")
        return 0
    if args.against_reference:
        for name in models:
            n = 6_000 if args.quick else (60_000 if name == "mlp" else 54_000)
            epochs = 1 if args.quick else (args.epochs or (5 if name == "mlp" else 3))
            old, new = against_reference(mlp_model if name == "mlp" else convnet_model, x[:n], y[:n], epochs)
            print(f"{name}: reference engine median {statistics.median(old):.3f} s/epoch ({fmt(old)}); default "
                  f"{statistics.median(new):.3f} s/epoch ({fmt(new)}); {statistics.median(old) / statistics.median(new):.2f}x "
                  f"faster, epochs alternating over {n:,} images")
        return 0
    results = {}
    for name in models:  # digitlab first, so its peak memory is measured before PyTorch allocates anything
        n = 60_000 if name == "mlp" else 54_000
        if args.quick:
            n = 6_000
        epochs = 1 if args.quick else (args.epochs or (5 if name == "mlp" else 3))
        run = digitlab_mlp if name == "mlp" else digitlab_convnet
        times, acc = run(x[:n], y[:n], xt, yt, epochs)
        results[name] = (n, epochs, times, acc, peak_mb())
    targets = Targets("train_speed" + (" (--quick: not a measurement)" if args.quick else ""))
    for name in models:
        n, epochs, times, acc, peak = results[name]
        m = statistics.median(times)
        floor = floor_seconds(mlp_products() if name == "mlp" else convnet_products(), n)
        print(f"{name}: digitlab median {m:.3f} s/epoch over {epochs} epochs of {n:,} images ({fmt(times)}); "
              f"test accuracy {acc:.4f}; peak RSS so far {peak:.0f} MB")
        print(f"{name}: matrix-product floor {floor:.3f} s/epoch; digitlab's epoch is {m / floor:.2f}x the floor")
        if name == "mlp":
            targets.at_most("mlp: median time per epoch", m, 1.2, " s", ".2f")
            if epochs == 5 and not args.quick:
                targets.at_least("mlp: test accuracy after 5 epochs", 100 * acc, 97.8, "%", ".2f")
            else:
                targets.skip("mlp: test accuracy after 5 epochs", ">= 97.80%", "a shortened run")
            targets.check("mlp: peak memory (RSS)", peak < 1024, "< 1024 MB", f"{peak:.0f} MB")
            targets.at_most("mlp: epoch / matrix-product floor", m / floor, 1.3, "x", ".2f")
        else:
            targets.check("convnet: peak memory (RSS)", peak < 2048, "< 2048 MB", f"{peak:.0f} MB")
        target = 1.8 if name == "mlp" else 1.5
        if args.skip_torch:
            targets.skip(f"{name}: speed over PyTorch (its s/epoch / ours)", f">= {target:.2f}x", "--skip-torch")
            continue
        run = torch_mlp if name == "mlp" else torch_convnet
        theirs, tacc = run(x[:n], y[:n], xt, yt, epochs)
        mt = statistics.median(theirs)
        print(f"{name}: PyTorch median {mt:.3f} s/epoch ({fmt(theirs)}); test accuracy {tacc:.4f}")
        print(f"{name}: digitlab is {mt / m:.2f}x faster than PyTorch")
        targets.at_least(f"{name}: speed over PyTorch (its s/epoch / ours)", mt / m, target, "x", ".2f")
        if name == "convnet":
            targets.at_most("convnet: test accuracy, |digitlab - PyTorch|", 100 * abs(acc - tacc), 0.5, " points", ".2f")
    return targets.report()


if __name__ == "__main__":
    raise SystemExit(main())

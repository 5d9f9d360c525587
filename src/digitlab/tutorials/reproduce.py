"""Run each tutorial's system as the tutorial does and put its reported number beside ours.

Every runner takes ``quick`` (a CI-sized run, said so in the row) and returns a
``Result``; ``run`` times them and ``format_table`` prints the table.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .. import datasets
from .._io import atomic_write_bytes
from ..datasets import mnist
from ..errors import InvalidValueError


@dataclass
class Result:
    system: str
    seed: str                       # what the seed reports
    original: str                   # the book's or original number, where it differs ("" if not)
    ours: str
    seconds: float = 0.0
    values: dict = field(default_factory=dict)  # the measured numbers behind "ours", for the JSON
    note: str = ""


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def _count(n: int, noun: str) -> str:
    """'1 epoch', '5 epochs'."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def raschka_mlp(quick: bool, log: Callable, **_) -> Result:
    from .neuralnet_mlp import NeuralNetMLP

    (x, y), (xt, yt) = datasets.load_flat("mnist", scale=False)  # raw 0-255 pixels, as the book feeds them
    epochs = 10 if quick else 1000
    start = time.perf_counter()
    mlp = NeuralNetMLP(epochs=epochs).fit(x, y)
    seconds = time.perf_counter() - start
    train, test = float(np.mean(mlp.predict(x) == y)), float(np.mean(mlp.predict(xt) == yt))
    log(f"raschka-mlp: {_count(epochs, 'epoch')} in {seconds:.1f} s; train {_pct(train)}, test {_pct(test)}")
    return Result("raschka-mlp", "train 97.80%, test 95.97%", "book: 97.59% / 95.62% (errata; first print 97.84% / 96.18%)",
                  f"train {_pct(train)}, test {_pct(test)}", seconds,
                  {"train_accuracy": train, "test_accuracy": test, "epochs": epochs, "fit_seconds": seconds},
                  f"quick: {epochs} of the seed's 1000 epochs" if quick else "")


def dlfs_pretrained(quick: bool, log: Callable, weights: str | None = None, **_) -> Result:
    """The book's pretrained network: its ``sample_weight.pkl`` shipped with digitlab, or ``weights`` (a path)."""
    from .legacy_pickle import book_network, bundled_weights, load_pickled_weights

    path = _weights_file(weights, "sample_weight.pkl")
    if path is None:  # any other file given that is not one of the convnets' is taken for it
        others = [w for w in ([weights] if isinstance(weights, (str, Path)) else weights or [])
                  if Path(w).is_file() and Path(w).name not in _CONVNET_FILES]
        path = others[0] if others else bundled_weights("sample_weight")
    model = book_network(load_pickled_weights(path), source=str(path))
    _, (x, t) = mnist.load_mnist(normalize=True)
    batched = float(np.mean(model.predict(x, batch_size=100).argmax(axis=1) == t))
    single = float(np.mean([model.predict(x[i:i + 1]).argmax() == t[i] for i in range(len(x))]))
    log(f"dlfs-pretrained: accuracy {single:.4f} one at a time, {batched:.4f} with batch_size=100")
    return Result("dlfs-pretrained", "0.9352", "", f"{single:.4f} (batch 100: {batched:.4f})",
                  values={"accuracy_one_at_a_time": single, "accuracy_batch_100": batched})


def two_layer_net(quick: bool, log: Callable, gradient: str = "backprop", iters: int | None = None, **_) -> Result:
    from .two_layer_net import TwoLayerNet, train

    if gradient not in ("backprop", "numerical"):
        raise InvalidValueError(f"gradient must be 'backprop' or 'numerical', got {gradient!r}")

    (x, t), (xt, tt) = mnist.load_mnist(normalize=True)
    if iters is None:
        iters = (1000 if quick else 10_000) if gradient == "backprop" else (3 if quick else 20)
    net = TwoLayerNet(784, 50, 10, seed=0)
    start = time.perf_counter()
    history = train(net, x, t, xt, tt, iters=iters, gradient=gradient, log=log)
    seconds = time.perf_counter() - start
    speed = gradient_speed(TwoLayerNet(784, 50, 10, seed=0), x, t, quick, log,
                           **{gradient: history["seconds_per_iter"]})
    test = history["test_acc"][-1]
    ours = f"test {_pct(test)} after {iters:,} iterations ({gradient})"
    speedup = speed["naive"] / speed["numerical"]
    note = (f"gradient s/iter: backprop {speed['backprop']:.2g}, numerical {speed['numerical']:.3g}, "
            f"book's loop {speed['naive']:.3g} ({speed['naive_measured_on']}); numerical is {speedup:.0f}x the book's loop")
    return Result("two-layer-net", "test 85.88% after 10,000 numerical iterations (50 hours)",
                  "book (backprop, sigmoid): about 94.7%", ours, seconds,
                  {"test_accuracy": test, "train_accuracy": history["train_acc"][-1], "iterations": iters,
                   "gradient": gradient, "seconds_per_iteration": speed, "numerical_speedup_over_naive": speedup}, note)


def gradient_speed(net, x, t, quick: bool, log: Callable, batch_size: int = 100, **known: float) -> dict:
    """Seconds per gradient of one batch: backprop, local numerical, and the book's loop.

    The book's loop takes ~40,000 x 2 forward passes; a quick run times it on
    2,000 of the weights and scales by the count (said in the result).
    """
    from ..nn.gradcheck import numerical_gradient as central_differences
    from .two_layer_net import H

    m = np.random.default_rng(1).choice(len(x), batch_size)
    xb, tb = x[m], t[m]

    def seconds(f, repeat):
        start = time.perf_counter()
        for _ in range(repeat):
            f()
        return (time.perf_counter() - start) / repeat

    out = {"backprop": known.get("backprop") or seconds(lambda: net.gradient(xb, tb), 50),
           "numerical": known.get("numerical") or seconds(lambda: net.numerical_gradient(xb, tb), 2)}
    total = sum(p.size for p in net.params.values())
    if quick:
        block = net.params["W1"][:40]  # a view: perturbing it perturbs the network
        per_weight = seconds(lambda: central_differences(net.loss_function(xb, tb), block, eps=H), 1) / block.size
        out["naive"], out["naive_measured_on"] = per_weight * total, f"timed on {block.size:,} of {total:,} weights"
    else:
        out["naive"], out["naive_measured_on"] = seconds(lambda: net.numerical_gradient_naive(xb, tb), 1), "all weights"
    log(f"two-layer-net: s/iteration backprop {out['backprop']:.2g}, numerical {out['numerical']:.3g}, "
        f"book's loop {out['naive']:.3g} ({out['naive_measured_on']})")
    return out


def keras(name: str, epochs: int | None = None) -> Callable:
    def runner(quick: bool, log: Callable, seeds: int = 1, **_) -> Result:
        from . import presets

        preset = presets.get(name)
        (x, y), (xt, yt) = datasets.load_flat("mnist")
        n = 1 if quick else (epochs or preset.epochs)
        start = time.perf_counter()
        runs = []
        for seed in range(max(1, seeds)):  # seed 0 is the reported run; more seeds show the spread
            model = preset.build(seed=seed)
            runs.append(model.fit(x, y, batch_size=preset.batch_size, epochs=n, verbose=0,
                                  validation_data=(xt, yt)).history)
        seconds = time.perf_counter() - start
        h = runs[0]
        best = int(np.argmin(h["val_loss"]))
        log(f"{name}: {_count(n, 'epoch')} in {seconds:.1f} s; test accuracy {_pct(h['val_accuracy'][-1])}")
        values = {"epochs": n, "test_accuracy": h["val_accuracy"][-1], "test_loss": h["val_loss"][-1],
                  "train_accuracy": h["accuracy"][-1], "history": h}
        ours = f"test {_pct(h['val_accuracy'][-1])}, train {_pct(h['accuracy'][-1])}"
        finals = [r["val_accuracy"][-1] for r in runs]
        if len(runs) > 1:
            values["test_accuracy_per_seed"] = finals
            ours += f"; {len(runs)} seeds: mean {_pct(np.mean(finals))}, sd {100 * np.std(finals):.2f}"
        note = f"quick: 1 of {epochs or preset.epochs} epochs" if quick else (
            f"test loss lowest at epoch {best + 1} ({h['val_loss'][best]:.4f}), {h['val_loss'][-1]:.4f} at the end; "
            f"best test accuracy {_pct(max(h['val_accuracy']))}")
        seed, original = {"keras-512": ("97.93%", "book's notebook: 97.77%"),
                          "keras-512-256": ("no figure; 50 epochs said to beat 10", "")}[name]
        return Result(f"{name} ({_count(n, 'epoch')})", seed, original, ours, seconds, values, note)
    return runner


_CONVNET_FILES = ("simple_convnet_params.pkl", "deep_convnet_params.pkl")


def _weights_file(weights, filename: str) -> str | None:
    """The file called ``filename`` among ``weights`` (a path, or a list of paths; a directory holds it)."""
    for path in [weights] if isinstance(weights, (str, Path)) else (weights or []):
        path = Path(path)
        if path.is_dir() and (path / filename).is_file():
            return str(path / filename)
        if path.name == filename:
            return str(path)
    return None


def dlfs_convnets(quick: bool, log: Callable, weights=None, **_) -> list[Result]:
    """The book's trained SimpleConvNet (ch07) and DeepConvNet (ch08), converted to channels-last digitlab
    layers and scored in float64 on the MNIST test set (quick: its first 1,000 images)."""
    from .legacy_pickle import bundled_weights, deep_convnet, load_pickled_weights, simple_convnet

    _, (x, t) = mnist.load_mnist(normalize=True)
    n = 1000 if quick else len(x)
    results = []
    for system, filename, build, figure in [("dlfs-simple-convnet (trained)", "simple_convnet_params.pkl", simple_convnet, "0.9600"),
                                            ("dlfs-deep-convnet (trained)", "deep_convnet_params.pkl", deep_convnet, "0.9797")]:
        path = _weights_file(weights, filename) or bundled_weights(filename.removesuffix(".pkl"))
        start = time.perf_counter()
        model = build(load_pickled_weights(path))
        accuracy = float(np.mean(model.predict(x[:n].astype(np.float64), batch_size=500).argmax(axis=1) == t[:n]))
        seconds = time.perf_counter() - start
        log(f"{system}: accuracy {accuracy:.4f} on {n:,} test images (float64) in {seconds:.1f} s")
        results.append(Result(system, "", f"book's code: {figure}", f"{accuracy:.4f}", seconds,
                              {"accuracy": accuracy, "test_images": n},
                              f"quick: the first {n:,} test images" if quick else ""))
    return results


def convnet(name: str, reported: str, original: str) -> Callable:
    """Train a convolutional preset as its source does and report the test accuracy; quick: two epochs on
    the first 3,000 training images, tested on the first 1,000 test images."""
    def runner(quick: bool, log: Callable, seeds: int = 1, **_) -> Result:
        from . import presets

        preset = presets.get(name)
        (x, y), (xt, yt) = datasets.load_flat("mnist")
        if quick:
            x, y, xt, yt = x[:3000], y[:3000], xt[:1000], yt[:1000]
        epochs = 2 if quick else preset.epochs
        start = time.perf_counter()
        runs = []
        for seed in range(max(1, seeds)):  # seed 0 is the reported run; more seeds show the spread
            model = preset.build(seed=seed, train_size=len(x))
            fit = ({"validation_split": preset.validation_split} if preset.validation_split
                   else {"validation_data": (xt, yt)})
            history = model.fit(x, y, batch_size=preset.batch_size, epochs=epochs, verbose=0, **fit).history
            loss, accuracy = model.evaluate(xt, yt, verbose=0)
            runs.append((accuracy, loss, history))
            log(f"{name} seed {seed}: {epochs} epochs, test accuracy {_pct(accuracy)}")
        seconds = time.perf_counter() - start
        accuracy, loss, history = runs[0]
        values = {"epochs": epochs, "test_accuracy": accuracy, "test_loss": loss,
                  "train_accuracy": history["accuracy"][-1], "history": history,
                  "seconds_per_seed": seconds / len(runs)}
        ours = f"test {_pct(accuracy)}, train {_pct(history['accuracy'][-1])}"
        if len(runs) > 1:
            finals = [r[0] for r in runs]
            values["test_accuracy_per_seed"] = finals
            ours += f"; {len(runs)} seeds: {_pct(min(finals))}-{_pct(max(finals))}, mean {_pct(np.mean(finals))}"
        note = (f"quick: {epochs} of {preset.epochs} epochs on {len(x):,} training images, {len(xt):,} test images" if quick
                else f"{seconds / len(runs) / 60:.1f} min of training per seed")
        return Result(f"{name} ({epochs} epoch{'s' if epochs > 1 else ''})", reported, original, ours, seconds, values, note)
    return runner


# name -> its runs, each (runner, also in --quick); a runner returns a Result or a list of them
SYSTEMS: dict[str, list[tuple[Callable, bool]]] = {
    "raschka-mlp": [(raschka_mlp, True)],
    "dlfs-pretrained": [(dlfs_pretrained, True)],
    "two-layer-net": [(two_layer_net, True)],
    "keras-512": [(keras("keras-512"), True)],
    "keras-512-256": [(keras("keras-512-256"), True), (keras("keras-512-256", epochs=50), False)],
    "dlfs-convnets": [(dlfs_convnets, True)],
    "dlfs-simple-convnet": [(convnet("dlfs-simple-convnet", "", "book ch07: about 98.9% test"), True)],
    "keras-convnet": [(convnet("keras-convnet", "", "keras-io mnist_convnet: about 99.2% test"), True)],
    "best-convnet": [(convnet("best-convnet", "", "aim: >= 99.6% test"), True)],
}


def run(names: list[str], quick: bool = False, log: Callable = print, **options) -> list[Result]:
    """Run the named systems ("all" for every one), in order; options go to the runners that take them."""
    if "all" in names:
        names = list(SYSTEMS)
    for name in names:
        if name not in SYSTEMS:
            raise InvalidValueError(f"unknown system {name!r} (expected one of: {', '.join(SYSTEMS)}, all)")
    results = []
    for name in dict.fromkeys(names):
        for runner, in_quick in SYSTEMS[name]:
            if quick and not in_quick:
                continue
            start = time.perf_counter()
            found = runner(quick, log, **options)
            for result in found if isinstance(found, list) else [found]:
                result.seconds = result.seconds or time.perf_counter() - start
                results.append(result)
    return results


def format_table(results: list[Result]) -> str:
    rows = [("system", "seed reports", "book / original", "ours", "time")]
    rows += [(r.system, r.seed, r.original or "-", r.ours, f"{r.seconds:.1f} s") for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [f"  {r.system}: {r.note}" for r in results if r.note]
    return "\n".join(lines + (["", "notes:", *notes] if notes else []))


def read_json(path: str | Path) -> dict | None:
    """The table an earlier run wrote to ``path``, or None if there is no file there yet."""
    path = Path(path)
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise InvalidValueError(f"{path}: is a directory; expected a reproduce table (.json)") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list) or not all(
            isinstance(r, dict) and isinstance(r.get("system"), str) for r in doc["results"]):
        raise InvalidValueError(f"{path}: exists and is not a table from digitlab reproduce (JSON with "
                                "'results'); choose another --json, or remove the file")
    return doc


def merge(earlier: dict | None, results: list[Result], quick: bool) -> dict:
    """This run's rows laid over an earlier table: a row replaces the earlier row of the same system and
    the same kind of run (quick or full); every other earlier row is kept, so a partial run never loses
    a fuller table."""
    rows = [{**asdict(r), "quick": quick} for r in results]
    new = {(r["system"], r["quick"]): r for r in rows}
    kept = [r for r in (earlier or {}).get("results", []) if (r["system"], bool(r.get("quick"))) not in new]
    merged = kept + rows
    return {"quick": any(r.get("quick") for r in merged), "results": merged}


def write_json(results: list[Result], path: str | Path, quick: bool) -> dict:
    """Merge this run's rows into the table at ``path`` (see ``merge``) and write it atomically."""
    doc = merge(read_json(path), results, quick)
    atomic_write_bytes(Path(path), (json.dumps(doc, indent=2) + "\n").encode())
    return doc

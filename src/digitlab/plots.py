"""Pictures of digits, of training and of what a network learned, as matplotlib Figures.

Every function returns a ``matplotlib.figure.Figure`` built without pyplot's global state: in
Jupyter it shows inline when it is a cell's last value, ``fig.savefig("x.png")`` saves it, and the
CLI's PNGs are drawn by these same functions (``save_png`` writes one atomically). matplotlib is
imported inside the functions, so importing digitlab never pays for it.

This module is a leaf: it takes arrays, a training history's dict, and models by their duck type
(``model.layers``, ``layer.params["kernel"]``, ``layer.forward``), and imports nothing of the engine.

MNIST digits are drawn as the tutorials draw them: dark ink on white (``cmap="Greys"``), no axes.
"""

from __future__ import annotations

import functools
import io
import math
import os
from typing import Sequence

import numpy as np

from ._io import atomic_write_bytes

DIGIT_CMAP = "Greys"    # ink (high values) dark on white paper, as seed 003 and scikit-learn show MNIST
WEIGHT_CMAP = "RdBu_r"  # signed weights: red pulls towards a unit, blue away, white is zero


def save_png(fig, path: str | os.PathLike, dpi: int = 100) -> None:
    """Write ``fig`` as a PNG at ``path`` atomically (a reader never sees half a file)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    atomic_write_bytes(path, buf.getvalue())


@functools.cache
def _figure_class():
    from matplotlib.figure import Figure

    class DigitlabFigure(Figure):
        """A Figure that shows itself in Jupyter as a cell's value, with or without pyplot."""

        def _repr_png_(self) -> bytes:
            buf = io.BytesIO()
            self.savefig(buf, format="png", dpi=100)
            return buf.getvalue()

    return DigitlabFigure


def _figure(width: float, height: float):
    return _figure_class()(figsize=(width, height), layout="constrained")


def _grid(fig, n: int, cols: int | None = None):
    """n axes in a near-square grid (or ``cols`` wide) without ticks; spare cells blank."""
    cols = cols or max(1, math.ceil(math.sqrt(n)))
    rows = max(1, math.ceil(n / cols))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[n:]:
        ax.axis("off")
    return axes[:n]


def _as_images(images: np.ndarray) -> np.ndarray:
    """(N, 784) or (N, 28, 28) or (N, 28, 28, 1) -> (N, 28, 28); (784,) or (28, 28) -> (1, 28, 28)."""
    a = np.asarray(images)
    if a.ndim == 4 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim == 1 or (a.ndim == 2 and math.isqrt(a.shape[1]) ** 2 != a.shape[1]):  # one image: (784,), (28, 28)
        a = a[None]
    if a.ndim == 2:
        side = math.isqrt(a.shape[1])
        if side * side != a.shape[1]:
            raise ValueError(f"images of {a.shape[1]} values are not square pictures; expected (N, 784) or (N, 28, 28)")
        a = a.reshape(len(a), side, side)
    if a.ndim != 3:
        raise ValueError(f"images of shape {np.shape(images)}; expected (N, 784) or (N, 28, 28)")
    return a


# ---- digits -------------------------------------------------------------------------------------

def image_grid(images: np.ndarray, titles: Sequence[str] | None = None, suptitle: str | None = None,
               cols: int | None = None, cmap: str = DIGIT_CMAP):
    """``images`` (N, H, W) (or (N, 784)) as a grid of pictures, ``titles`` above each -> Figure."""
    images = _as_images(images)
    n = len(images)
    cols = min(n, cols or max(1, math.ceil(math.sqrt(n))))
    rows = max(1, math.ceil(n / cols))
    fig = _figure(1.6 * cols, 1.75 * rows + (0.6 if suptitle else 0.2))
    if suptitle:
        fig.suptitle(suptitle)
    for i, ax in enumerate(_grid(fig, n, cols)):
        ax.imshow(images[i], cmap=cmap, interpolation="nearest")
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    return fig


def digits(images: np.ndarray, labels: Sequence[int] | None = None, predicted: Sequence[int] | None = None,
           title: str | None = None, cols: int | None = None):
    """MNIST digits (N, 784) or (N, 28, 28) with their labels (and, given ``predicted``, "true 7, read 1")."""
    n = len(_as_images(images))
    if labels is None:
        titles = None
    elif predicted is None:
        titles = [str(int(t)) for t in labels]
    else:
        titles = [f"true {int(t)}, read {int(p)}" for t, p in zip(labels, predicted)]
    if titles is not None and len(titles) != n:
        raise ValueError(f"{n} images but {len(titles)} labels")
    return image_grid(images, titles, title, cols)


def misclassified(model, x: np.ndarray, y: np.ndarray, count: int = 25, title: str | None = None):
    """The first ``count`` digits of (x, y) that ``model`` reads wrong, "true t, read p" above each.

    ``y`` holds labels (N,) or one-hot rows (N, K)."""
    y = np.asarray(y)
    labels = y.argmax(axis=1) if y.ndim == 2 else y.astype(int)
    predicted = np.asarray(model.predict(x)).argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    if len(wrong) == 0:
        raise ValueError("the model reads every one of these digits right; nothing to show")
    chosen = wrong[:count]
    title = title or f"{len(wrong)} of {len(labels)} read wrong ({100 * len(wrong) / len(labels):.2f}%): the first {len(chosen)}"
    return digits(np.asarray(x)[chosen], labels[chosen], predicted[chosen], title, cols=min(len(chosen), 5))


def probabilities(probs: np.ndarray, image: np.ndarray | None = None, label: int | None = None, title: str | None = None):
    """The ten (K) probabilities of one digit as bars, the chosen one highlighted; the digit beside them."""
    p = np.asarray(probs, dtype=float).ravel()
    best = int(p.argmax())
    fig = _figure(8 if image is not None else 5.5, 3.4)
    if image is not None:
        ax_img, ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 2.2]})
        ax_img.imshow(_as_images(image)[0], cmap=DIGIT_CMAP, interpolation="nearest")
        ax_img.set_xticks([])
        ax_img.set_yticks([])
        ax_img.set_title("input" if label is None else f"input (true {int(label)})")
    else:
        ax = fig.subplots()
    colors = ["tab:orange" if k == best else "tab:blue" for k in range(len(p))]
    if label is not None and int(label) != best:
        colors[int(label)] = "tab:green"
    ax.bar(range(len(p)), p, color=colors)
    for k, v in enumerate(p):
        if v >= 0.01:
            ax.text(k, v + 0.02, f"{v:.2f}", ha="center", fontsize=8)
    ax.set_xticks(range(len(p)))
    ax.set_ylim(0, 1.1)
    ax.set_xlabel("digit")
    ax.set_ylabel("probability")
    ax.set_title(title or f"read as {best} with probability {p[best]:.2f}")
    return fig


# ---- training -----------------------------------------------------------------------------------

def line_plot(series: dict[str, Sequence[float]], title: str, xlabel: str, ylabel: str,
              ylim: tuple[float, float] | None = None, x: Sequence[float] | None = None, integer_x: bool = False,
              ax=None):
    """One line per named series, a legend when there is more than one -> Figure.

    ``integer_x`` puts ticks only on whole numbers (epochs: no "epoch 1.5"). Given ``ax``, draws there."""
    from matplotlib.ticker import MaxNLocator

    fig = None
    if ax is None:
        fig = _figure(7, 4.2)
        ax = fig.subplots()
    for (name, values), style in zip(series.items(), ("-", "--", ":", "-.")):
        xs = x if x is not None else np.arange(1, len(values) + 1)
        ax.plot(xs, values, style, label=name, marker="o" if len(values) <= 60 else None, markersize=3)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if ylim:
        ax.set_ylim(*ylim)
    if integer_x:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    if len(series) > 1:
        ax.legend()
    return fig if fig is not None else ax.figure


def cost_per_epoch(history: dict) -> list[float]:
    """The minibatch costs averaged within each epoch (seed 000's second plot), or the epoch losses."""
    batch = np.asarray(history.get("batch_loss") or [], dtype=float)
    epochs = len(history["loss"])
    if epochs and len(batch) >= epochs:
        return [float(c.mean()) for c in np.array_split(batch, epochs)]
    return list(history["loss"])


def accuracy_limits(accuracy: dict[str, Sequence[float]]) -> tuple[float, float]:
    """A y-axis that fits the curves (a 0-1 axis flattens them), never above 1."""
    top = max(max(v) for v in accuracy.values())
    bottom = min(min(v) for v in accuracy.values())
    margin = max(0.005, 0.1 * (top - bottom))
    return max(0.0, bottom - margin), min(1.0, top + margin)


def training_curves(history: dict, title: str | None = None):
    """A training history (``History.to_dict()`` or a .history.json) as one Figure: the cost of every
    minibatch, the cost per epoch (train and validation), and accuracy per epoch when recorded."""
    loss = {k: history[v] for k, v in (("train", "loss"), ("validation", "val_loss")) if history.get(v)}
    if not loss:
        raise ValueError("no per-epoch 'loss' in this history: has the model been trained?")
    accuracy = {k: history[v] for k, v in (("train", "accuracy"), ("validation", "val_accuracy")) if history.get(v)}
    panels = 1 + bool(history.get("batch_loss")) + bool(accuracy)
    fig = _figure(4.6 * panels, 3.8)
    if title:
        fig.suptitle(title)
    axes = list(np.atleast_1d(fig.subplots(1, panels)))
    if history.get("batch_loss"):
        line_plot({"cost": history["batch_loss"]}, "cost of every minibatch", "minibatch", "cost", ax=axes.pop(0))
    line_plot(loss, "cost per epoch", "epoch", "cost", integer_x=True, ax=axes.pop(0))
    if accuracy:
        line_plot(accuracy, "accuracy per epoch", "epoch", "accuracy", ylim=accuracy_limits(accuracy),
                  integer_x=True, ax=axes.pop(0))
    return fig


def confusion(matrix: np.ndarray, names: Sequence[str] | None = None, title: str = "confusion matrix"):
    """A confusion matrix (K, K), rows true and columns predicted, as a heat map with every count."""
    matrix = np.asarray(matrix)
    k = len(matrix)
    names = [str(i) for i in range(k)] if names is None else list(names)
    fig = _figure(1.0 + 0.62 * k, 0.8 + 0.55 * k)
    ax = fig.subplots()
    shown = np.log1p(matrix)  # the diagonal would otherwise wash out every mistake
    ax.imshow(shown, cmap="Blues")
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if shown[i, j] > 0.6 * shown.max() else "black")
    long_names = max(map(len, names)) > 2  # class names, not digits: slant them to fit
    ax.set_xticks(range(k), names, rotation=45 if long_names else 0, ha="right" if long_names else "center")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return fig


# ---- what the network learned -------------------------------------------------------------------

def _kind(layer) -> str:
    return type(layer).__name__


def first_dense(model):
    """The first layer whose class is Dense (after Augment, Flatten... layers), or None."""
    return next((l for l in model.layers if _kind(l) == "Dense"), None)


def dense_weights(kernel: np.ndarray, count: int | None = 64, title: str | None = None):
    """The weights into each hidden unit of a first Dense layer, kernel (784, units), as 28x28 images.

    One picture per unit (the first ``count``), on one colour scale centred on zero shared by all, so
    a unit's strokes and its neighbours' compare at a glance (as scikit-learn's MLP weights example)."""
    kernel = np.asarray(kernel)
    side = math.isqrt(kernel.shape[0])
    if kernel.ndim != 2 or side * side != kernel.shape[0]:
        raise ValueError(f"a kernel of shape {kernel.shape} does not take square images; expected (784, units)")
    units = kernel.shape[1]
    n = units if count is None else min(count, units)
    w = kernel[:, :n].T.reshape(n, side, side)  # (n, 28, 28)
    scale = float(np.abs(w).max()) or 1.0
    cols = max(1, math.ceil(math.sqrt(n)))
    fig = _figure(min(1.1 * cols, 12) + 0.8, min(1.1 * cols, 12) * math.ceil(n / cols) / cols + 0.7)
    fig.suptitle(title or f"first Dense layer: weights into {n} of its {units} units (red +, blue -)")
    image = None
    for i, ax in enumerate(_grid(fig, n, cols)):
        image = ax.imshow(w[i], cmap=WEIGHT_CMAP, vmin=-scale, vmax=scale, interpolation="nearest")
    fig.colorbar(image, ax=fig.axes, shrink=0.6, label="weight")
    return fig


def conv_filters(kernel: np.ndarray, title: str | None = None, max_channels: int = 8):
    """A Conv2D kernel (kh, kw, c_in, c_out): one row per input channel (the first ``max_channels``),
    one column per filter, on one colour scale centred on zero."""
    kernel = np.asarray(kernel)
    if kernel.ndim != 4:
        raise ValueError(f"a convolution kernel of shape {kernel.shape}; expected (kh, kw, c_in, c_out)")
    kh, kw, c_in, c_out = kernel.shape
    rows = min(c_in, max_channels)
    scale = float(np.abs(kernel).max()) or 1.0
    cell = 1.0 if c_out <= 12 else 12 / c_out
    fig = _figure(cell * c_out + 1.2, cell * rows + 0.9)
    fig.suptitle(title or f"{c_out} filters of {kh}x{kw}" + (f" over {c_in} channels" if c_in > 1 else ""))
    axes = fig.subplots(rows, c_out, squeeze=False)
    image = None
    for r in range(rows):
        for c in range(c_out):
            ax = axes[r, c]
            image = ax.imshow(kernel[:, :, r, c], cmap=WEIGHT_CMAP, vmin=-scale, vmax=scale, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(str(c + 1), fontsize=8)
            if c == 0 and c_in > 1:
                ax.set_ylabel(f"in {r + 1}", fontsize=8)
    fig.colorbar(image, ax=fig.axes, shrink=0.7, label="weight")
    return fig


def forward_to(model, x: np.ndarray, k: int) -> np.ndarray:
    """The output of ``model.layers[:k]`` for inputs x (N, *input_shape), in inference mode."""
    for layer in model.layers[:k]:
        x = layer.forward(x, training=False)
    return x


def feature_maps(model, image: np.ndarray, layer: int | None = None, max_maps: int = 32, title: str | None = None):
    """The feature maps one digit produces at the output of layer ``layer`` (index into
    ``model.layers``; default: the first Conv2D), with the digit first. ``image`` is one input
    (28, 28, 1), (28, 28) or whatever the model takes."""
    if layer is None:
        layer = next((i for i, l in enumerate(model.layers) if _kind(l) == "Conv2D"), None)
        if layer is None:
            raise ValueError("this model has no Conv2D layer; feature maps need one")
    x = np.asarray(image, dtype=np.float32)
    shape = tuple(getattr(model, "input_shape", None) or x.shape)
    x = x.reshape((1,) + shape)
    maps = forward_to(model, x, layer + 1)[0]  # (H, W, C), channels last
    if maps.ndim != 3:
        raise ValueError(f"layer {layer} ({_kind(model.layers[layer])}) gives outputs of shape {maps.shape}, not maps")
    n = min(maps.shape[-1], max_maps)
    cols = n + 1 if n + 1 <= 9 else 8  # the input and up to 8 maps on one row
    rows = math.ceil((n + 1) / cols)
    fig = _figure(1.5 * cols, 1.6 * rows + 0.6)
    fig.suptitle(title or f"what layer {layer + 1} ({_kind(model.layers[layer])}) sees: {n} of its "
                          f"{maps.shape[-1]} feature maps")
    axes = _grid(fig, n + 1, cols)
    axes[0].imshow(_as_images(x[0].reshape(-1))[0], cmap=DIGIT_CMAP, interpolation="nearest")
    axes[0].set_title("input", fontsize=9)
    for c in range(n):
        axes[c + 1].imshow(maps[..., c], cmap="viridis", interpolation="nearest")
        axes[c + 1].set_title(f"map {c + 1}", fontsize=8)
    return fig


def learned(model, x: np.ndarray | None = None, y: np.ndarray | None = None) -> dict[str, object]:
    """Every picture of what ``model`` learned, by name -> Figure: ``dense_weights`` (first Dense
    layer taking square images), ``conv_filters_<i>`` for each Conv2D layer i, and given a digit
    ``x[0]``: ``feature_maps`` (if there is a Conv2D) and ``probabilities``; ``training`` when the
    model has a history."""
    figures: dict[str, object] = {}
    dense = first_dense(model)
    if dense is not None:
        rows = dense.params["kernel"].shape[0]
        if math.isqrt(rows) ** 2 == rows:
            figures["dense_weights"] = dense_weights(dense.params["kernel"])
    convs = [i for i, l in enumerate(model.layers) if _kind(l) == "Conv2D"]
    for i in convs:
        figures[f"conv_filters_{i + 1}"] = conv_filters(model.layers[i].params["kernel"],
                                                        title=f"layer {i + 1} (Conv2D): its filters")
    if x is not None and len(x):
        if convs:
            figures["feature_maps"] = feature_maps(model, x[0], convs[0])
    if x is not None and len(x) and hasattr(model, "predict"):
        label = None if y is None else int(np.asarray(y)[0].argmax() if np.ndim(y) == 2 else np.asarray(y)[0])
        probs = model.predict(np.asarray(x)[:1])[0]
        figures["probabilities"] = probabilities(probs, np.asarray(x)[0], label)
    history = getattr(model, "history", None)
    data = history.to_dict() if hasattr(history, "to_dict") else history
    if data and data.get("loss"):
        figures["training"] = training_curves(data)
    return figures

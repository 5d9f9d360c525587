"""digitlab.plots: every picture is a matplotlib Figure with the right panels, and the CLI writes them."""

import sys
import types

import numpy as np
import pytest
from matplotlib.figure import Figure

from digitlab import Sequential, layers, plots
from digitlab.apps.cli import main
from digitlab.nn import progress


def images_in(fig):
    """The arrays drawn with imshow, axis by axis (colorbars have none)."""
    return [ax.images[0].get_array() for ax in fig.axes if ax.images]


@pytest.fixture(scope="module")
def small_model(mnist_data):
    (x, y), _ = mnist_data
    model = Sequential([layers.Dense(16, activation="relu", input_shape=(784,)), layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
    model.fit(x[:600].reshape(600, -1) / 255, y[:600], epochs=2, batch_size=64, verbose=0, seed=1,
              validation_data=(x[600:800].reshape(200, -1) / 255, y[600:800]))
    return model


class Conv2D:
    """A stand-in for issue 13's layer: params["kernel"] (kh, kw, in, filters), channels last, 'valid'."""

    def __init__(self, kernel):
        self.params = {"kernel": kernel}

    def forward(self, x, training=False):  # (N, H, W, C) -> (N, H-kh+1, W-kw+1, F)
        kh, kw, _, _ = self.params["kernel"].shape
        windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))  # (N, H', W', C, kh, kw)
        return np.einsum("nhwcij,ijcf->nhwf", windows, self.params["kernel"])


def test_digits_are_drawn_dark_on_white_with_their_labels(mnist_data):
    (x, y), _ = mnist_data
    fig = plots.digits(x[:6], y[:6], title="six digits")
    assert isinstance(fig, Figure)
    drawn = images_in(fig)
    assert len(drawn) == 6 and drawn[0].shape == (28, 28)
    np.testing.assert_array_equal(drawn[3], x[3])
    assert [ax.get_title() for ax in fig.axes[:6]] == [str(v) for v in y[:6]]
    assert fig.axes[0].images[0].get_cmap().name == "Greys"
    fig = plots.digits(x[:2].reshape(2, -1), [1, 2], [7, 2])
    assert fig.axes[0].get_title() == "true 1, read 7" and images_in(fig)[1].shape == (28, 28)
    with pytest.raises(ValueError, match="3 labels"):
        plots.digits(x[:2], [1, 2, 3])


def test_dense_weights_one_28x28_picture_per_unit_on_a_shared_scale_centred_on_zero():
    kernel = np.random.default_rng(0).normal(size=(784, 12)).astype(np.float32)
    fig = plots.dense_weights(kernel)
    drawn = images_in(fig)
    assert len(drawn) == 12
    np.testing.assert_array_equal(drawn[5], kernel[:, 5].reshape(28, 28))
    lo, hi = fig.axes[0].images[0].get_clim()
    assert lo == -hi == -np.abs(kernel).max()
    assert len(images_in(plots.dense_weights(kernel, count=4))) == 4
    with pytest.raises(ValueError, match="square"):
        plots.dense_weights(np.zeros((100 + 1, 3)))


def test_conv_filters_and_feature_maps_with_the_conv2d_layout():
    kernel = np.random.default_rng(1).normal(size=(3, 3, 1, 4)).astype(np.float32)
    fig = plots.conv_filters(kernel)
    drawn = images_in(fig)
    assert len(drawn) == 4 and drawn[2].shape == (3, 3)
    np.testing.assert_array_equal(drawn[2], kernel[:, :, 0, 2])
    assert len(images_in(plots.conv_filters(np.zeros((5, 5, 3, 2))))) == 6  # a row per input channel

    model = types.SimpleNamespace(layers=[Conv2D(kernel)], input_shape=(28, 28, 1))
    digit = np.zeros((28, 28, 1), np.float32)
    digit[10:18, 13:15] = 1.0  # a vertical stroke
    fig = plots.feature_maps(model, digit)
    drawn = images_in(fig)
    assert len(drawn) == 5  # the input, then one map per filter
    np.testing.assert_array_equal(drawn[0], digit[..., 0])
    expected = Conv2D(kernel).forward(digit[None])[0]
    assert drawn[1].shape == (26, 26)
    np.testing.assert_allclose(drawn[4], expected[..., 3], rtol=1e-6)
    with pytest.raises(ValueError, match="no Conv2D"):
        plots.feature_maps(types.SimpleNamespace(layers=[], input_shape=(784,)), digit)
    assert set(plots.learned(model, digit[None])) == {"conv_filters_1", "feature_maps"} | (
        set() if not hasattr(model, "predict") else {"probabilities"})


def test_probabilities_highlight_the_answer_and_the_truth():
    p = np.full(10, 0.02)
    p[3] = 0.82
    fig = plots.probabilities(p, np.zeros(784), label=5)
    bars = fig.axes[1].patches
    assert len(bars) == 10 and bars[3].get_height() == pytest.approx(0.82)
    assert bars[3].get_facecolor() != bars[0].get_facecolor() != bars[5].get_facecolor()
    assert "3" in fig.axes[1].get_title() and "true 5" in fig.axes[0].get_title()


def test_history_plot_and_misclassified_are_figures_of_the_model(small_model, mnist_data, tmp_path):
    fig = small_model.history.plot()
    assert [ax.get_title() for ax in fig.axes] == ["cost of every minibatch", "cost per epoch", "accuracy per epoch"]
    assert len(fig.axes[0].lines[0].get_ydata()) == len(small_model.history.batch_loss) == 2 * 10
    assert [l.get_label() for l in fig.axes[2].lines] == ["train", "validation"]
    fig.savefig(tmp_path / "h.png")
    assert (tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG"

    _, (x, y) = mnist_data
    x = x[:300].reshape(300, -1) / 255
    fig = small_model.plot_misclassified(x, y[:300], count=7)
    wrong = np.flatnonzero(small_model.predict(x).argmax(1) != y[:300])
    assert len(images_in(fig)) == min(7, len(wrong)) and len(wrong) > 0
    first = wrong[0]
    assert fig.axes[0].get_title().startswith(f"true {y[first]}, read ")
    assert len(images_in(small_model.plot_weights())) == 16
    assert set(small_model.plot_learned(x[:1], y[:1])) == {"dense_weights", "probabilities", "training"}


def test_cli_plot_weights_writes_every_picture(small_model, tmp_path, capsys):
    path = tmp_path / "m.safetensors"
    small_model.save(path)
    assert main(["plot", "--weights", str(path), "--digit", "3"]) == 0
    out = capsys.readouterr().out
    for name in ("dense_weights", "probabilities", "training"):
        png = tmp_path / f"m.{name}.png"
        assert f"wrote {png}" in out and png.read_bytes()[:4] == b"\x89PNG"
    assert main(["plot"]) == 2
    assert "history file, or --weights" in capsys.readouterr().err
    assert main(["plot", "--weights", str(tmp_path / "nothing.safetensors")]) == 1


def test_progress_is_plain_lines_outside_a_notebook_and_a_widget_inside(monkeypatch, capsys):
    assert not progress.in_notebook()
    shell = type("ZMQInteractiveShell", (), {})()
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    assert progress.in_notebook()
    made = []
    monkeypatch.setattr(progress, "notebook_bar", lambda total, desc: made.append((total, desc)) or None)
    bar = progress.EpochProgress(0, 3, 5)
    for step in range(1, 6):
        bar.update(step, {"loss": 1.0 * step}, step)
    bar.close({"loss": 0.5})
    out = capsys.readouterr().out
    assert made == [(5, "Epoch 1/3")]
    assert "\r" not in out and out.splitlines()[0] == "Epoch 1/3" and out.splitlines()[1].startswith("5/5 [")


def test_a_figure_shows_itself_in_jupyter_without_pyplot(mnist_data):
    (x, y), _ = mnist_data
    png = plots.digits(x[:3], y[:3])._repr_png_()
    assert png[:4] == b"\x89PNG"

import numpy as np
import pytest

from digitlab.errors import InvalidValueError
from digitlab.nn.gradcheck import gradient_check
from digitlab.tutorials import NeuralNetMLP

from . import book_mlp


@pytest.fixture(scope="module")
def small(mnist_data):
    (x, y), (xt, yt) = mnist_data
    return x.reshape(len(x), -1)[:1000], y[:1000], xt.reshape(len(xt), -1), yt


def test_follows_the_books_code_step_for_step_in_float64(small):
    """Same RandomState stream, re-shuffled order, L1 quirk, compounding decay and the book's momentum."""
    X, y, _, _ = small
    settings = dict(epochs=4, minibatches=2, l1=0.01, l2=0.1, eta=0.0001, alpha=0.3, decrease_const=0.5)
    w1, w2, cost = book_mlp.train(X, y, **settings)
    mlp = NeuralNetMLP(dtype="float64", **settings).fit(X, y)
    assert len(mlp.cost_) == 8
    np.testing.assert_allclose(mlp.cost_, cost, rtol=1e-9)
    np.testing.assert_allclose(mlp.w1, w1, rtol=0, atol=1e-8)
    np.testing.assert_allclose(mlp.w2, w2, rtol=0, atol=1e-8)
    assert mlp.eta_ == pytest.approx(0.0001 / (1.5 * 2.0 * 2.5))  # the divisors multiply up


def test_corrected_variant_differs_only_where_documented(small):
    X, y, _, _ = small
    settings = dict(epochs=4, minibatches=2, l1=0.01, eta=0.0001, alpha=0.3, decrease_const=0.5)
    book = NeuralNetMLP(**settings).fit(X, y)
    fixed = NeuralNetMLP(corrected=True, **settings).fit(X, y)
    assert fixed.model.optimizer.learning_rate == pytest.approx(0.0001 / (1 + 0.5 * 3))
    assert not np.allclose(book.w1, fixed.w1)
    # the same initial weights and the same first cost: only the updates differ
    assert book.cost_[0] == fixed.cost_[0]


def test_corrected_l1_gradient_is_the_costs_own_and_the_books_is_not(small):
    X, y, _, _ = small
    x, t = X[:20] / 255.0, y[:20]  # scaled so the sigmoids are not saturated and differences are clean
    errors = {}
    for corrected in (False, True):
        mlp = NeuralNetMLP(n_hidden=5, l1=0.5, l2=0.0, corrected=corrected, dtype="float64")
        errors[corrected] = max(gradient_check(mlp.model, x, t).values())
    assert errors[True] < 1e-6
    assert errors[False] > 1e-3


def test_learns_raw_pixels_and_reports_a_cost_per_minibatch(small, mnist_data):
    (x, y), _ = mnist_data
    _, _, xt, yt = small
    mlp = NeuralNetMLP(epochs=10).fit(x.reshape(len(x), -1), y)  # the seed's settings, 10 of its 1000 epochs
    assert len(mlp.cost_) == 500 and mlp.cost_[-1] < mlp.cost_[0] / 5
    assert np.mean(mlp.predict(xt) == yt) > 0.80
    assert mlp.predict_proba(xt[:3]).shape == (3, 10)


def test_print_progress_writes_the_books_epoch_counter(small, capsys):
    X, y, _, _ = small
    NeuralNetMLP(epochs=3, minibatches=5).fit(X[:100], y[:100], print_progress=True)
    err = capsys.readouterr().err
    assert "\rEpoch: 1/3" in err and "\rEpoch: 3/3" in err and err.endswith("\n")


def test_bad_arguments_are_clear_errors(small):
    X, y, _, _ = small
    with pytest.raises(InvalidValueError, match=r"X has shape \(1000, 100\), expected \(N, 784\)"):
        NeuralNetMLP(epochs=1).fit(X[:, :100], y)
    with pytest.raises(InvalidValueError, match="eta > 0"):
        NeuralNetMLP(eta=0)

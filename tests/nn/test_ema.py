"""The optimizers' moving average of the weights (Keras's use_ema): the rule, what fit leaves, saving."""

import numpy as np
import pytest

from digitlab import Sequential, layers, load_model, optimizers
from digitlab.errors import InvalidValueError
from digitlab.nn import callbacks


def small_model(optimizer, seed=0):
    model = Sequential([layers.Dense(16, activation="relu", input_shape=(8,)), layers.Dense(5, activation="softmax")],
                       seed=seed)
    model.compile(optimizer, "sparse_categorical_crossentropy", ["accuracy"])
    model.build()
    return model


def data(n=64):
    rng = np.random.default_rng(1)
    return rng.standard_normal((n, 8)).astype(np.float32), rng.integers(0, 5, n)


def steps(model, count):
    """``count`` optimizer steps on one batch; the weights after each step."""
    x, y = data(12)
    t = model._targets(y, len(x))
    after = []
    for _ in range(count):
        model.compute_gradients(x, t)
        model.optimizer.apply(model.params, model.grads)
        after.append([p.copy() for p in model.params])
    return after


@pytest.mark.parametrize("make", [lambda: optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9),
                                  lambda: optimizers.Adam(0.01, use_ema=True, ema_momentum=0.8)], ids=["sgd", "adam"])
def test_average_starts_at_the_weights_then_follows_the_rule(make):
    model = small_model(make())
    m = model.optimizer.ema_momentum
    after = steps(model, 4)
    expected = [w.copy() for w in after[0]]  # the first step's weights themselves
    for weights in after[1:]:
        expected = [m * e + (1 - m) * w for e, w in zip(expected, weights)]
    for state, e, w in zip(model.optimizer.state, expected, after[-1]):
        np.testing.assert_allclose(state["ema"], e, rtol=1e-6, atol=1e-7)
        assert not np.allclose(state["ema"], w)  # the average lags the weights
        assert state["ema"].dtype == w.dtype == np.float32


def test_torch_averaged_model_agrees():
    torch = pytest.importorskip("torch")
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    model = small_model(optimizers.SGD(0.1, momentum=0.9, use_ema=True, ema_momentum=0.7))
    net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 5))
    with torch.no_grad():
        for lin, layer in zip((net[0], net[2]), model.layers):
            lin.weight.copy_(torch.from_numpy(layer.params["kernel"].T.copy()))
            lin.bias.copy_(torch.from_numpy(layer.params["bias"]))
    average = AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(0.7))
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    x, y = data(12)
    for _ in range(5):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        opt.step()
        average.update_parameters(net)
    steps(model, 5)
    theirs = [average.module[0].weight.T, average.module[0].bias, average.module[2].weight.T, average.module[2].bias]
    for state, q in zip(model.optimizer.state, theirs):
        np.testing.assert_allclose(state["ema"], q.detach().numpy(), rtol=1e-4, atol=1e-5)


class Weights(callbacks.Callback):
    """The weights after every step of a fit."""

    def on_train_begin(self, logs=None):
        self.seen = []

    def on_batch_end(self, batch, logs=None):
        self.seen.append([p.copy() for p in self.model.params])


def test_fit_trains_as_without_it_and_ends_on_the_average():
    x, y = data()
    plain = small_model(optimizers.Adam(0.01))
    plain.fit(x, y, batch_size=16, epochs=3, verbose=0)
    averaged, record = small_model(optimizers.Adam(0.01, use_ema=True, ema_momentum=0.9)), Weights()
    averaged.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[record])
    for p, w in zip(plain.params, record.seen[-1]):  # the average never feeds back into training
        np.testing.assert_array_equal(p, w)
    expected = record.seen[0]
    for weights in record.seen[1:]:
        expected = [0.9 * e + 0.1 * w for e, w in zip(expected, weights)]
    for p, e in zip(averaged.params, expected):
        np.testing.assert_allclose(p, e, rtol=1e-5, atol=1e-6)
    assert not all(np.array_equal(p, q) for p, q in zip(averaged.params, plain.params))


def test_overwrite_frequency_puts_the_average_in_the_weights_every_so_many_steps():
    model = small_model(optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=3))
    for step in range(1, 7):
        steps(model, 1)
        overwritten = [np.array_equal(p, state["ema"]) for p, state in zip(model.params, model.optimizer.state)]
        assert all(overwritten) if step in (1, 3, 6) else not any(overwritten)  # step 1: the average starts there


def test_an_optimizer_given_to_a_second_model_averages_that_model_anew():
    x, y = data()
    opt = optimizers.Adam(0.01, use_ema=True, ema_momentum=0.9)
    small_model(opt, seed=0).fit(x, y, batch_size=16, epochs=1, verbose=0)
    second, record = small_model(opt, seed=5), Weights()  # the same shapes: the state is not rebuilt
    second.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[record])
    expected = record.seen[0]
    for weights in record.seen[1:]:
        expected = [0.9 * e + 0.1 * w for e, w in zip(expected, weights)]
    for p, e in zip(second.params, expected):
        np.testing.assert_allclose(p, e, rtol=1e-5, atol=1e-6)


def test_saved_model_keeps_the_average_and_its_settings(tmp_path):
    x, y = data()
    model = small_model(optimizers.RMSprop(0.01, use_ema=True, ema_momentum=0.95, ema_overwrite_frequency=7))
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    model.save(tmp_path / "m.safetensors")
    loaded = load_model(tmp_path / "m.safetensors")
    opt = loaded.optimizer
    assert (opt.use_ema, opt.ema_momentum, opt.ema_overwrite_frequency) == (True, 0.95, 7)
    for a, b in zip(model.optimizer.state, opt.state):
        assert set(b) == {"velocity", "ema"} and all(np.array_equal(a[k], b[k]) for k in a)
    np.testing.assert_array_equal(model.predict(x), loaded.predict(x))


def test_without_it_the_saved_settings_are_as_before():
    assert "use_ema" not in optimizers.Adam().get_config()  # files that earlier versions read as they did


def test_fit_with_no_epochs_left_ends_on_the_average(tmp_path):
    x, y = data()
    model = small_model(optimizers.Adam(0.01, use_ema=True, ema_momentum=0.9))
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    for p in model.params:
        p += 1.0  # weights away from their average
    model.fit(x, y, batch_size=16, epochs=1, initial_epoch=1, verbose=0)
    for p, state in zip(model.params, model.optimizer.state):
        np.testing.assert_array_equal(p, state["ema"])


@pytest.mark.parametrize("settings", [
    {"ema_momentum": 1.0}, {"ema_momentum": -0.1}, {"ema_momentum": float("nan")}, {"ema_momentum": "0.5"},
    {"ema_momentum": None}, {"ema_momentum": True}, {"ema_overwrite_frequency": 0}, {"ema_overwrite_frequency": 2.5},
    {"ema_overwrite_frequency": "3"}, {"ema_overwrite_frequency": True}, {"ema_overwrite_frequency": float("inf")},
    {"use_ema": "no"}, {"use_ema": 1}])
def test_invalid_settings_are_refused(settings):
    with pytest.raises(InvalidValueError, match="invalid (use_ema|ema_)"):
        optimizers.Adam(**{"use_ema": True, **settings})


import numpy as np
import pytest

from digitlab.feedback import finetune


def test_holdout_keeps_a_training_example_of_every_digit():
    y = np.array([0] * 10 + [1] * 1 + [2] * 2)
    train, held = finetune.split_holdout(y, 0.2, seed=1)
    assert sorted(np.concatenate([train, held])) == list(range(13))
    assert list(np.bincount(y[held], minlength=3)) == [2, 0, 0]
    assert set(y[train]) == {0, 1, 2}
    train, held = finetune.split_holdout(y, 0.0)
    assert len(held) == 0 and len(train) == 13


def test_fine_tuning_needs_examples_and_refuses_to_forget_mnist(mnist_data):
    (x, y), (xt, yt) = mnist_data
    flat = ((x[:500].reshape(500, -1) / 255).astype(np.float32), y[:500]), \
        ((xt[:500].reshape(500, -1) / 255).astype(np.float32), yt[:500])
    with pytest.raises(finetune.FinetuneError, match="example"):
        finetune.personal_model(None, xt[:1], yt[:1], flat)
    quick = finetune.Settings(epochs=1, replay=100, repeats=2, learning_rate=50.0)  # a step size that diverges
    with pytest.raises(finetune.FinetuneError, match="MNIST|finite|loss"):
        finetune.personal_model(None, xt[:40], yt[:40], flat, quick)

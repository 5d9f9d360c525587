"""Ones given a flag (and sometimes a foot), as many writers draw them: datasets/flagged_ones.py."""

import numpy as np

from digitlab.datasets import flagged_ones


def upright_one(lean: float = 0.0) -> np.ndarray:
    """A (28, 28) one, rows 4-23, 2 px wide, its top ``lean`` px right of its bottom."""
    image = np.zeros((28, 28), np.float32)
    for r in range(4, 24):
        c = int(round(14 + lean * (23 - r) / 19))
        image[r, c:c + 2] = 1.0
    return image


def test_a_flag_goes_down_and_left_from_the_top_and_the_stroke_is_kept():
    one = upright_one()
    flagged = flagged_ones.add_flag(one, np.random.default_rng(0))
    assert np.all(flagged >= one)                               # nothing taken away
    added = (flagged - one) > 0.3
    rows, cols = np.nonzero(added)
    assert added.sum() >= 3 and cols.max() <= 14 and rows.min() >= 3 and rows.max() <= 4 + 0.45 * 20 + 2
    assert not added[:, 16:].any()                              # nothing right of the stroke


def test_a_foot_is_a_bar_across_the_bottom():
    one = upright_one()
    footed = flagged_ones.add_flag(one, np.random.default_rng(1), foot=True)
    bottom = (footed[22:25] > 0.3).any(axis=0)
    assert bottom.sum() >= 5                                    # wider than the 2-px stroke


def test_a_one_leaning_left_or_already_flagged_or_blank_is_left_alone():
    rng = np.random.default_rng(2)
    leaning_left = upright_one(lean=-4)
    assert np.array_equal(flagged_ones.add_flag(leaning_left, rng), leaning_left)
    flagged = flagged_ones.add_flag(upright_one(), rng)
    assert np.array_equal(flagged_ones.add_flag(flagged, rng), flagged)
    blank = np.zeros((28, 28), np.float32)
    assert np.array_equal(flagged_ones.add_flag(blank, rng), blank)


def test_only_the_share_of_ones_asked_for_changes_and_the_seed_fixes_which():
    x = np.stack([upright_one(lean) for lean in np.linspace(0, 3, 200)]).reshape(200, -1)
    y = np.array([1, 7] * 100)
    before = x.copy()
    out = flagged_ones.with_flags(x, y, share=0.5, seed=3)
    changed = (out != x).any(axis=1)
    assert not changed[y == 7].any()
    assert 0.35 < changed[y == 1].mean() < 0.65
    assert np.array_equal(out, flagged_ones.with_flags(x, y, share=0.5, seed=3))
    assert not np.array_equal(out, flagged_ones.with_flags(x, y, share=0.5, seed=4))
    assert out.dtype == x.dtype and np.array_equal(x, before)  # a copy: the input is not touched


def test_the_default_preset_trains_on_flagged_ones_and_the_others_on_mnist_as_is():
    from digitlab.tutorials import presets

    x = np.stack([upright_one(lean) for lean in np.linspace(0, 3, 40)]).reshape(40, -1)
    y = np.ones(40, int)
    assert (presets.get("default").training_images(x, y) != x).any(axis=1).sum() >= 10
    assert presets.get("best-convnet").training_images(x, y) is x

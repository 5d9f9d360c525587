"""The mouse source (tests/mouse_photos.py): skeletons traced into strokes, and digits drawn with the mouse
on the web page in Debian's chromium, read by the shipped model."""

from pathlib import Path

import numpy as np
import pytest

from tests import mouse_photos


def test_a_line_is_one_path_from_one_end_to_the_other():
    skeleton = np.zeros((9, 9), bool)
    skeleton[2:7, 4] = True
    (path,) = mouse_photos.trace(skeleton)
    assert [tuple(p) for p in path] in ([(r, 4) for r in range(2, 7)], [(r, 4) for r in range(6, 1, -1)])


def test_a_branch_starts_where_it_leaves_the_first_stroke():
    skeleton = np.zeros((9, 9), bool)
    skeleton[1:8, 4] = True      # a T upside down: the stem ...
    skeleton[7, 1:8] = True      # ... on a bar
    paths = mouse_photos.trace(skeleton)
    covered = {tuple(p) for path in paths for p in path}
    assert covered == {(int(r), int(c)) for r, c in zip(*np.nonzero(skeleton))}
    assert len(paths) == 2
    joins = {tuple(paths[1][0])} & {tuple(p) for p in paths[0]}
    assert joins, "the second stroke begins on the first, as a pen would"
    assert all(np.abs(np.diff(p, axis=0)).max() <= 1 for p in paths)  # no jumps inside a stroke


def test_strokes_of_a_drawn_seven_span_its_box():
    from PIL import Image, ImageDraw

    img = Image.new("L", (28, 28), 0)
    ImageDraw.Draw(img).line([(7, 6), (21, 6), (12, 23)], fill=255, width=3)
    paths = mouse_photos.strokes(np.asarray(img))
    points = np.vstack(paths)
    assert points.min() >= 0 and points[:, 1].max() == pytest.approx(1.0)
    assert 0.6 < points[:, 0].max() < 1.0  # wider than half its height, narrower than tall


def test_placed_digits_stay_on_the_canvas():
    rng = np.random.default_rng(0)
    paths = [np.array([[0.0, 0.0], [0.7, 0.0], [0.3, 1.0]])]
    for _ in range(50):
        (p,) = mouse_photos.placed(paths, rng)
        assert p.min() >= 0 and p.max() <= mouse_photos.CANVAS
        assert 90 <= np.ptp(p[:, 1]) <= 230


def test_a_wide_digit_is_made_smaller_to_fit_inside_the_margin():
    rng = np.random.default_rng(1)
    t = np.linspace(0, 1, 41)[:, None]
    paths = [np.vstack([t * [1.75, 0.0], [1.75, 0.0] + t * [-0.85, 1.0]])]   # 1.75 times as wide as high
    for _ in range(50):
        (p,) = mouse_photos.placed(paths, rng)
        assert p.min() >= 12 - 1e-9 and p[:, 0].max() <= mouse_photos.CANVAS - 12 + 1e-9
        assert np.ptp(p[:, 0]) == pytest.approx(1.75 * np.ptp(p[:, 1]))


def test_a_blank_digit_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="no ink"):
        mouse_photos.strokes(np.zeros((28, 28), np.uint8))
    with pytest.raises(ValueError, match="no ink"):
        mouse_photos.strokes(np.full((28, 28), 100, np.uint8))   # faint: nothing reaches half intensity


def test_digits_drawn_with_the_mouse_on_the_page_are_read(mnist_data):
    from digitlab.vision import predict, preprocess

    assert Path(mouse_photos.CHROMIUM).exists(), "Debian's chromium is missing: apt-get install chromium"
    made = mouse_photos.mouse(30, seed=12, mnist_test=mnist_data[1])
    labels = np.array([label for label, _, _ in made])
    model = predict.load()
    read = predict.predict_digits(model, np.array([preprocess.to_mnist(d) for _, d, _ in made])).argmax(axis=1)
    assert np.mean(read == labels) >= 0.85

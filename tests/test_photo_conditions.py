import io

import numpy as np
from PIL import Image

from tests import photo_conditions


def sheet():
    grey = np.full((100, 120), 0.9, np.float32)
    grey[30:70, 50:60] = 0.1  # a digit one, 40 x 10
    return grey


def test_tight_and_snug_crops_cut_to_the_ink():
    rng = np.random.default_rng(0)
    tight = photo_conditions.tight(sheet(), rng)
    assert 40 <= tight.shape[0] <= 44 and 10 <= tight.shape[1] <= 14 and tight.min() < 0.2
    assert photo_conditions.snug(sheet(), rng).shape == (48, 18)
    assert photo_conditions.tight(np.full((50, 50), 0.8, np.float32), rng) is None  # no ink: not applicable


def test_vignette_darkens_the_corners_not_the_middle_and_frame_the_sides():
    rng = np.random.default_rng(0)
    v = photo_conditions.vignette(sheet(), rng)
    assert abs(v[50, 60] - 0.9) < 0.01 and abs(v[0, 0] - 0.9 * 0.4) < 0.01
    f = photo_conditions.frame(sheet(), rng)
    assert np.allclose(f[:6, 6:-6], 0.36) and np.allclose(f[6:-6, -6:], 0.36) and f[50, 30] == np.float32(0.9)
    assert np.allclose(f[0, 0], 0.9 * 0.4 * 0.4)  # a corner is in two bands


def test_apply_keeps_labels_and_drops_what_it_cannot_crop():
    blank = io.BytesIO()
    Image.fromarray(np.full((40, 40), 200, np.uint8)).save(blank, "PNG")
    digit = io.BytesIO()
    Image.fromarray((sheet() * 255).astype(np.uint8)).save(digit, "PNG")
    out = photo_conditions.apply([(1, digit.getvalue(), "png"), (7, blank.getvalue(), "png")], photo_conditions.tight)
    assert [label for label, _, _ in out] == [1]
    assert Image.open(io.BytesIO(out[0][1])).size[0] < 20

import io

import numpy as np
from PIL import Image

from tests import photo_conditions


def sheet(dark_ink=True, at=(30, 50), shading=False):
    """(100, 120) grey: a digit one 40 x 10 at ``at``, dust, a ruled line, optionally a light gradient."""
    grey = np.full((100, 120), 0.9, np.float32)
    if shading:
        grey *= np.linspace(1.0, 0.75, 120, dtype=np.float32)[None, :]
    grey[85, :] = 0.6                        # a ruled line across the sheet
    grey[10, 100] = 0.2                      # a speck of dust
    grey[at[0]:at[0] + 40, at[1]:at[1] + 10] = 0.1
    return grey if dark_ink else 1.0 - grey


def test_tight_and_snug_crops_cut_to_the_digit_not_the_dust_lines_or_shading():
    for grey in (sheet(), sheet(shading=True), sheet(dark_ink=False)):
        tight = photo_conditions.tight(grey)
        assert tight.shape == (40, 10) and np.allclose(tight, grey[30:70, 50:60])
        assert photo_conditions.snug(grey).shape == (48, 18)
    corner = photo_conditions.snug(sheet(at=(0, 0)))  # a digit at the corner: the margin stops at the image
    assert corner.shape == (44, 14)
    assert photo_conditions.tight(np.full((50, 50), 0.8, np.float32)) is None  # no digit: not applicable


def test_vignette_darkens_towards_the_corners_and_frame_a_band_along_the_sides():
    flat = np.full((100, 120), 0.9, np.float32)
    v = photo_conditions.vignette(flat)
    assert abs(v[50, 60] - 0.9) < 0.01                                   # the middle keeps its light
    assert abs(v[50, 0] - 0.9 * 0.7) < 0.02 and abs(v[0, 60] - 0.9 * 0.7) < 0.02   # a side's middle: 70%
    assert abs(v[0, 0] - 0.9 * 0.4) < 0.02 and abs(v[-1, -1] - v[0, 0]) < 1e-3     # both corners alike: 40%
    f = photo_conditions.frame(flat)
    assert np.allclose(f[:6], 0.36) and np.allclose(f[:, -6:], 0.36)     # every pixel of the band once,
    assert np.allclose(f[6:-6, 6:-6], 0.9)                              # corners included; the rest untouched


def test_apply_keeps_labels_in_order_and_drops_what_it_cannot_crop():
    def png(grey):
        buf = io.BytesIO()
        Image.fromarray((grey * 255).round().astype(np.uint8)).save(buf, "PNG")
        return buf.getvalue()
    blank = png(np.full((40, 40), 0.8, np.float32))
    made = [(1, png(sheet()), "png"), (7, blank, "png"), (3, png(sheet(at=(50, 20))), "png")]
    out = photo_conditions.apply(made, photo_conditions.tight)
    assert [label for label, _, _ in out] == [1, 3]
    assert all(Image.open(io.BytesIO(data)).size == (10, 40) for _, data, _ in out)


def test_underline_draws_a_bar_in_the_ink_level_below_the_digit_where_it_fits():
    for dark_ink in (True, False):
        grey = sheet(dark_ink=dark_ink)  # the digit: rows 30-70, columns 50-60
        out = photo_conditions.underline(grey)
        ink = 0.1 if dark_ink else 0.9
        # 12% of 40 px below, 5% of 40 px thick (at least 2), 15% of 10 px past each side
        assert np.allclose(out[75:77, 48:62], ink) and not np.allclose(out[77, 48:62], ink)
        assert np.array_equal(out[:75], grey[:75]) and np.array_equal(out[:, :48], grey[:, :48])
    assert photo_conditions.underline(sheet(at=(58, 50))) is None  # the bar would leave the image
    assert photo_conditions.underline(np.full((50, 50), 0.8, np.float32)) is None

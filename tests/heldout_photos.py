"""The held-out photo source: kept out of all tuning of preprocessing and of the default model.

Nothing here was looked at while ``to_mnist`` or the default model were being changed; only its
overall accuracy is reported (``benchmarks/predict_photos.py`` prints it on its own line). It differs
from the tuning sources in what writes the digit and in the camera:

- writers: eleven handwriting fonts from Debian packages that no other source uses (a permanent
  marker, pencil, brush and pen scripts, a schoolchild's hand, Japanese and Korean hand fonts);
- camera: a tilted phone (a perspective warp), a vignette, hard JPEG, the digit sometimes cut by the
  frame's edge or small in a large frame, a pen mark or two beside it, and a tenth of them on a dark
  screen or board (light strokes).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONTS = {
    "fonts-yusei-magic": ["/usr/share/fonts/truetype/yusei-magic/YuseiMagic-Regular.ttf"],
    "fonts-seto": ["/usr/share/fonts/truetype/seto/setofont.ttf"],
    "fonts-klee": ["/usr/share/fonts/truetype/klee/KleeOne-Regular.ttf", "/usr/share/fonts/truetype/klee/KleeOne-SemiBold.ttf"],
    "fonts-ecolier-court": ["/usr/share/fonts/truetype/ecolier-court/Ecolier-court.ttf"],
    "fonts-lobster": ["/usr/share/fonts/opentype/lobster/lobster.otf"],
    "fonts-leckerli-one": ["/usr/share/fonts/truetype/leckerli-one/LeckerliOne-Regular.ttf"],
    "fonts-nanum-extra": ["/usr/share/fonts/truetype/nanum/NanumPen.ttf", "/usr/share/fonts/truetype/nanum/NanumBrush.ttf"],
    "fonts-dancingscript": ["/usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf"],
    "fonts-femkeklaver": ["/usr/share/fonts/truetype/femkeklaver/femkeklaver.ttf"],
    "fonts-yozvox-yozfont": ["/usr/share/fonts/truetype/yozvox-yozfont/YOzRNXF.ttf"],
}
DEBIAN_PACKAGES = sorted(FONTS)


def available_fonts() -> list[str]:
    return [f for fs in FONTS.values() for f in fs if Path(f).is_file()]


def _glyph(digit: int, font_path: str) -> np.ndarray:
    font = ImageFont.truetype(font_path, 180)
    img = Image.new("L", (300, 300), 0)
    ImageDraw.Draw(img).text((60, 30), str(digit), fill=255, font=font)
    a = np.asarray(img, np.float32) / 255
    rows, cols = np.flatnonzero(a.any(1)), np.flatnonzero(a.any(0))
    return a[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _perspective(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    w, h = img.size
    d = rng.uniform(0.0, 0.12, 8) * np.array([w, h] * 4)
    quad = (d[0], d[1], d[2], h - d[3], w - d[4], h - d[5], w - d[6], d[7])  # corners: tl, bl, br, tr
    return img.transform((w, h), Image.Transform.QUAD, quad, Image.Resampling.BILINEAR, fillcolor=255)


def _photo(ink: np.ndarray, rng: np.random.Generator) -> Image.Image:
    H, W = int(rng.integers(240, 640)), int(rng.integers(240, 640))
    small = rng.random() < 0.2
    target = (rng.uniform(0.12, 0.3) if small else rng.uniform(0.45, 0.9)) * min(H, W)
    s = target / max(ink.shape)
    glyph = np.asarray(Image.fromarray(ink, "F").resize((max(2, int(ink.shape[1] * s)), max(2, int(ink.shape[0] * s))),
                                                         Image.Resampling.BILINEAR)).clip(0, 1)
    gh, gw = glyph.shape
    mask = np.zeros((H, W), np.float32)
    cut = rng.random() < 0.15  # the frame's edge grazes the digit
    y = int(rng.integers(-gh // 12, 1)) if cut else int(rng.integers(0, max(1, H - gh)))
    x = int(rng.integers(0, max(1, W - gw)))
    ys, xs = slice(max(0, y), min(H, y + gh)), slice(max(0, x), min(W, x + gw))
    mask[ys, xs] = glyph[ys.start - y:ys.stop - y, xs.start - x:xs.stop - x]
    marks = Image.fromarray(np.zeros((H, W), np.uint8))
    draw = ImageDraw.Draw(marks)
    for _ in range(int(rng.integers(0, 3))):  # a pen dot or a short tick beside the digit
        cx, cy = float(rng.uniform(0, W)), float(rng.uniform(0, H))
        if abs(cx - (x + gw / 2)) < gw * 0.7 and abs(cy - (y + gh / 2)) < gh * 0.7:
            continue
        r = rng.uniform(1.5, 4)
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=230)
    mask = np.maximum(mask, np.asarray(marks, np.float32) / 255)
    dark = rng.random() < 0.1
    paper, ink_level = (rng.uniform(0.05, 0.2), rng.uniform(0.8, 1.0)) if dark else (rng.uniform(0.75, 0.98), rng.uniform(0.0, 0.3))
    img = paper + (ink_level - paper) * mask
    yy, xx = np.mgrid[0:H, 0:W]
    r2 = ((yy - H / 2) / H) ** 2 + ((xx - W / 2) / W) ** 2
    img = img * (1 - rng.uniform(0.0, 0.6) * r2) + rng.normal(0, 0.02, (H, W))
    pil = Image.fromarray((img.clip(0, 1) * 255).astype(np.uint8), "L")
    pil = _perspective(pil, rng).filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.4)))
    return pil


def heldout(count: int = 500, seed: int = 7) -> list[tuple[int, bytes, str]]:
    import io

    fonts = available_fonts()
    if not fonts:
        raise RuntimeError(f"no held-out fonts found: apt-get install {' '.join(DEBIAN_PACKAGES)}")
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        digit = i % 10
        img = _photo(_glyph(digit, fonts[(i // 10) % len(fonts)]), rng)
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=int(rng.integers(35, 80)))
        out.append((digit, buf.getvalue(), "jpg"))
    return out

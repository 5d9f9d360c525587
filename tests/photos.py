"""Synthetic photos of handwritten digits, for testing ``to_mnist`` and ``predict`` on realistic input.

Digits come from two sources: handwriting fonts from Debian's font packages
(installed by .ci/run) and digits of MNIST's test set, enlarged. Each is laid
on synthetic paper: a tinted sheet under uneven light (a gradient and a
vignette), dust specks, sensor noise and blur, off-centre, at a random size and
tilt, in grey or colour, saved as PNG or JPEG. A few are light ink on a dark
board. The same seed gives the same photos.

    python -m tests.photos OUT_DIR [--count 500]   # writes OUT_DIR/<label>_<n>.<png|jpg>
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

# Debian package -> fonts in it whose digits look handwritten
FONTS = {
    "fonts-dkg-handwriting": ["/usr/share/fonts/truetype/fifthhorseman/dkg.ttf"],
    "fonts-breip": ["/usr/share/fonts/truetype/breip/Breip.ttf"],
    "fonts-sjfonts": ["/usr/share/fonts/truetype/sjfonts/SteveHand.ttf", "/usr/share/fonts/truetype/sjfonts/Delphine.ttf"],
    "fonts-humor-sans": ["/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf"],
    "fonts-comic-neue": ["/usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf",
                         "/usr/share/fonts/opentype/comic-neue/ComicNeue-Bold.otf"],
    "fonts-bwht": ["/usr/share/fonts/opentype/bwht/BecauseWeLearn-Regular.otf",
                   "/usr/share/fonts/opentype/bwht/BecauseWeBuild-Regular.otf"],
    "fonts-rufscript": ["/usr/share/fonts/truetype/rufscript/Rufscript010.ttf"],
}
DEBIAN_PACKAGES = sorted(FONTS)


def available_fonts() -> list[str]:
    return [f for fonts in FONTS.values() for f in fonts if Path(f).is_file()]


def font_digit(digit: int, font_path: str, rng: np.random.Generator) -> np.ndarray:
    """Ink (H, W) in [0, 1] of one digit in a font, with some stroke weight variation."""
    font = ImageFont.truetype(font_path, 160)
    img = Image.new("L", (260, 260), 0)
    draw = ImageDraw.Draw(img)
    draw.text((50, 20), str(digit), fill=255, font=font, stroke_width=int(rng.integers(0, 4)), stroke_fill=255)
    a = np.asarray(img, dtype=np.float32) / 255
    rows, cols = np.flatnonzero(a.any(1)), np.flatnonzero(a.any(0))
    return a[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def mnist_digit(image: np.ndarray) -> np.ndarray:
    """A (28, 28) uint8 MNIST digit enlarged 5x with smooth edges: ink (140, 140)."""
    return np.asarray(Image.fromarray(image).resize((140, 140), Image.Resampling.BICUBIC), dtype=np.float32).clip(0, 255) / 255


def photograph(ink: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Lay ink (h, w) in [0, 1] on a synthetic photo; returns an L or RGB image."""
    H, W = int(rng.integers(220, 480)), int(rng.integers(220, 480))
    # the digit: random height, tilt, placed off-centre but inside
    target = rng.uniform(0.35, 0.75) * min(H, W)
    scale = target / max(ink.shape)
    glyph = Image.fromarray((ink * 255).astype(np.uint8)).resize(
        (max(2, int(ink.shape[1] * scale)), max(2, int(ink.shape[0] * scale))), Image.Resampling.BICUBIC)
    glyph = glyph.rotate(rng.uniform(-15, 15), resample=Image.Resampling.BICUBIC, expand=True)
    mask = np.zeros((H, W), np.float32)
    gh, gw = glyph.height, glyph.width
    if gh >= H or gw >= W:
        glyph = glyph.resize((min(gw, W - 2), min(gh, H - 2)))
        gh, gw = glyph.height, glyph.width
    y, x = int(rng.integers(0, H - gh)), int(rng.integers(0, W - gw))
    mask[y:y + gh, x:x + gw] = np.asarray(glyph, dtype=np.float32) / 255
    # dust: a few small dark specks away from the digit is what a camera sees
    for _ in range(int(rng.integers(0, 6))):
        cy, cx, r = rng.integers(0, H), rng.integers(0, W), rng.uniform(0.7, 2.0)
        yy, xx = np.ogrid[:H, :W]
        mask = np.maximum(mask, 0.8 * ((yy - cy) ** 2 + (xx - cx) ** 2 <= r * r))
    # paper under uneven light
    yy, xx = np.mgrid[0:H, 0:W] / max(H, W)
    angle = rng.uniform(0, 2 * np.pi)
    light = 1 - rng.uniform(0.1, 0.45) * ((np.cos(angle) * xx + np.sin(angle) * yy) - 0.0)
    light *= 1 - rng.uniform(0.0, 0.35) * ((xx - xx.mean()) ** 2 + (yy - yy.mean()) ** 2) * 2
    dark_board = rng.random() < 0.1
    colour = rng.random() < 0.5
    paper = np.array([0.12, 0.14, 0.13]) if dark_board else rng.uniform(0.8, 1.0, 3) * np.array([1.0, 0.98, 0.93])
    ink_rgb = np.array([0.95, 0.95, 0.92]) if dark_board else rng.choice(
        [np.array([0.08, 0.08, 0.1]), np.array([0.1, 0.15, 0.45]), np.array([0.3, 0.3, 0.32])])
    strength = rng.uniform(0.75, 1.0)
    img = paper[None, None, :] * (1 - strength * mask[..., None]) + ink_rgb[None, None, :] * strength * mask[..., None]
    img *= light[..., None]
    img += rng.normal(0, rng.uniform(0.005, 0.04), img.shape)
    pil = Image.fromarray((img.clip(0, 1) * 255).astype(np.uint8), "RGB")
    pil = pil.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.5)))
    return pil if colour else pil.convert("L")


def encode(img: Image.Image, rng: np.random.Generator) -> tuple[bytes, str]:
    buf = io.BytesIO()
    if rng.random() < 0.5:
        img.save(buf, format="JPEG", quality=int(rng.integers(60, 95)))
        return buf.getvalue(), "jpg"
    img.save(buf, format="PNG")
    return buf.getvalue(), "png"


def photos(count: int = 500, seed: int = 0, mnist_test=None) -> list[tuple[int, bytes, str]]:
    """``count`` photos as (label, encoded bytes, extension): half from fonts, half from MNIST's test set."""
    rng = np.random.default_rng(seed)
    fonts = available_fonts()
    out = []
    if not fonts:
        raise RuntimeError(f"no handwriting fonts found: apt-get install {' '.join(DEBIAN_PACKAGES)}")
    for i in range(count):
        digit = i % 10
        if (i // 10) % 2 == 0 or mnist_test is None:  # ten from fonts, then ten from MNIST, and so on
            ink = font_digit(digit, fonts[(i // 20) % len(fonts)], rng)
        else:
            images, labels = mnist_test
            choices = np.flatnonzero(labels == digit)
            ink = mnist_digit(images[rng.choice(choices)])
        data, ext = encode(photograph(ink, rng), rng)
        out.append((digit, data, ext))
    return out


def write(directory: str | Path, count: int = 500, seed: int = 0) -> list[Path]:
    from digitlab.datasets import mnist

    _, test = mnist.load_data()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, (label, data, ext) in enumerate(photos(count, seed, test)):
        path = directory / f"{label}_{n:04d}.{ext}"
        path.write_bytes(data)
        paths.append(path)
    return paths


def naive_recipe(data: bytes) -> np.ndarray:
    """Seed 000's recipe for your own digits: resize the photo to 28x28, apply a fixed threshold, feed the
    pixels as they are. (28, 28) floats in [0, 1]."""
    img = Image.open(io.BytesIO(data)).convert("L").resize((28, 28), Image.Resampling.BILINEAR)
    return (np.asarray(img) > 127).astype(np.float32)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="write synthetic digit photos")
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"{len(write(args.out, args.count, args.seed))} photos in {args.out}")


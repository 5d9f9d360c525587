"""Photo sources for judging ``to_mnist`` and the default model, each made a different way.

A method tuned on one generator learns that generator. So the evaluation draws digits from sources that
share as little as possible, and keeps one of them out of all tuning (``tests/heldout_photos.py``):

    fonts      tests/photos.py: seven handwriting fonts and enlarged MNIST digits on tinted paper under
               uneven light, dust, noise, blur (the source preprocessing was first developed on)
    pen        digits drawn along random pen trajectories (a skeleton per digit, jittered, sheared,
               turned), the width following the pen's pressure, from a hairline pencil to a felt marker
               a fifth of the digit wide; on plain, ruled or squared paper, sometimes half in shadow
    degraded   MNIST test digits made bolder or thinner, then shrunk to a few dozen pixels, blurred and
               enlarged again, as a soft scan or a small digit in a phone photo
    phone      MNIST test digits (real writers) with crisp edges and pen digits in large phone pictures
               (1,000-2,000 px wide), the digit 4-30% of the height, seen at an angle, soft focus, grainy
               paper, JPEG

Each source is a function ``(count, seed) -> [(label, encoded bytes, extension)]``; the same seed gives
the same photos. ``textbook_recipe`` is the classic 25-line preparation the issue compares with.

    python -m tests.photo_sources OUT_DIR --source pen --count 200
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from scipy import ndimage

from tests import photos

# ---- pen trajectories ----------------------------------------------------------------------------------

# Control points of each digit's strokes in a unit box (x right, y down); a digit has one or more
# variants, each a list of strokes, each stroke a list of points joined by a smooth spline.
SKELETONS: dict[int, list[list[list[tuple[float, float]]]]] = {
    0: [[[(0.5, 0.05), (0.2, 0.25), (0.18, 0.7), (0.5, 0.95), (0.8, 0.7), (0.8, 0.25), (0.5, 0.05), (0.42, 0.1)]]],
    1: [[[(0.55, 0.05), (0.5, 0.95)]],
        [[(0.3, 0.25), (0.55, 0.05), (0.52, 0.95)]],
        [[(0.3, 0.25), (0.55, 0.05), (0.52, 0.95)], [(0.3, 0.95), (0.75, 0.95)]]],
    2: [[[(0.2, 0.3), (0.4, 0.06), (0.7, 0.1), (0.75, 0.35), (0.5, 0.65), (0.18, 0.95), (0.85, 0.93)]],
        [[(0.2, 0.25), (0.5, 0.05), (0.78, 0.3), (0.2, 0.95), (0.55, 0.85), (0.85, 0.95)]]],
    3: [[[(0.2, 0.15), (0.5, 0.04), (0.76, 0.22), (0.5, 0.46), (0.8, 0.7), (0.52, 0.96), (0.18, 0.85)]],
        [[(0.2, 0.08), (0.8, 0.08), (0.45, 0.42), (0.8, 0.68), (0.5, 0.96), (0.18, 0.86)]]],
    4: [[[(0.62, 0.05), (0.15, 0.66), (0.88, 0.66)], [(0.62, 0.3), (0.62, 0.96)]],
        [[(0.3, 0.05), (0.2, 0.55), (0.82, 0.55)], [(0.68, 0.08), (0.66, 0.96)]]],
    5: [[[(0.78, 0.06), (0.3, 0.06), (0.25, 0.45), (0.62, 0.4), (0.8, 0.66), (0.55, 0.95), (0.2, 0.86)]],
        [[(0.3, 0.06), (0.25, 0.45), (0.62, 0.4), (0.8, 0.66), (0.55, 0.95), (0.2, 0.86)], [(0.3, 0.06), (0.8, 0.06)]]],
    6: [[[(0.72, 0.05), (0.4, 0.25), (0.2, 0.62), (0.36, 0.93), (0.66, 0.9), (0.76, 0.65), (0.5, 0.5), (0.24, 0.64)]]],
    7: [[[(0.15, 0.08), (0.85, 0.08), (0.42, 0.95)]],
        [[(0.15, 0.12), (0.85, 0.08), (0.42, 0.95)], [(0.35, 0.52), (0.75, 0.5)]]],
    8: [[[(0.52, 0.48), (0.76, 0.28), (0.55, 0.05), (0.28, 0.2), (0.5, 0.48), (0.8, 0.74), (0.5, 0.96),
          (0.22, 0.75), (0.52, 0.48)]]],
    9: [[[(0.76, 0.28), (0.5, 0.05), (0.24, 0.25), (0.45, 0.5), (0.76, 0.32), (0.76, 0.6), (0.7, 0.96)]],
        [[(0.78, 0.3), (0.5, 0.05), (0.24, 0.25), (0.45, 0.5), (0.78, 0.3)], [(0.78, 0.3), (0.72, 0.96)]]],
}


def catmull_rom(points: np.ndarray, per_segment: int = 24) -> np.ndarray:
    """(n, 2) control points -> (m, 2) points of a smooth curve through them (ends repeated)."""
    if len(points) == 2:
        t = np.linspace(0, 1, per_segment)[:, None]
        return points[0] * (1 - t) + points[1] * t
    p = np.vstack([points[0], points, points[-1]])
    t = np.linspace(0, 1, per_segment, endpoint=False)[:, None]
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                          + (3 * p1 - p0 - 3 * p2 + p3) * t ** 3))
    return np.vstack(out + [points[-1][None]])


def pen_digit(digit: int, rng: np.random.Generator, height: int = 200) -> np.ndarray:
    """Ink (H, W) in [0, 1] of one digit written with a pen of random width and pressure."""
    variant = SKELETONS[digit][rng.integers(len(SKELETONS[digit]))]
    angle, shear = np.deg2rad(rng.uniform(-12, 12)), rng.uniform(-0.25, 0.25)
    aspect = rng.uniform(0.65, 1.15)
    transform = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) @ \
        np.array([[aspect, shear], [0.0, 1.0]])
    # pen width as a fraction of the digit's height: hairline pencil .. felt marker (a fifth of the digit)
    width = float(np.exp(rng.uniform(np.log(0.02), np.log(0.2)))) * height
    pad = int(width) + 8
    size = height + 2 * pad
    canvas = Image.new("F", (size, size), 0.0)
    draw = ImageDraw.Draw(canvas)
    darkness = rng.uniform(0.55, 0.8) if width < 0.035 * height else 1.0  # thin pencil is grey
    for stroke in variant:
        pts = np.asarray(stroke) + rng.normal(0, 0.025, (len(stroke), 2))
        curve = catmull_rom(pts - 0.5) @ transform.T * height + size / 2
        steps = np.linalg.norm(np.diff(curve, axis=0), axis=1)
        dense = max(2, int(steps.sum() / max(0.3 * width, 0.7)))
        s = np.concatenate([[0], np.cumsum(steps)])
        along = np.linspace(0, s[-1], dense)
        xy = np.stack([np.interp(along, s, curve[:, 0]), np.interp(along, s, curve[:, 1])], axis=1)
        phase, freq = rng.uniform(0, 2 * np.pi), rng.uniform(0.5, 2.0)
        pressure = 1 + 0.3 * np.sin(phase + freq * np.pi * along / max(s[-1], 1))  # smooth along the stroke
        for (x, y), p in zip(xy, pressure):
            r = max(0.5, 0.5 * width * p)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=darkness)
    ink = np.asarray(canvas, dtype=np.float32)
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    return ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def paper_photo(ink: np.ndarray, rng: np.random.Generator, lines: str = "plain", shadow: bool = False) -> Image.Image:
    """Ink (h, w) in [0, 1] on white paper (plain, "ruled" or "squared"), optionally half in a soft
    shadow, photographed with a little blur and noise. L or RGB."""
    H, W = int(rng.integers(200, 420)), int(rng.integers(200, 420))
    target = rng.uniform(0.4, 0.8) * min(H, W)
    scale = target / max(ink.shape)
    glyph = np.asarray(Image.fromarray(ink, "F").resize(
        (max(2, int(ink.shape[1] * scale)), max(2, int(ink.shape[0] * scale))), Image.Resampling.BILINEAR))
    gh, gw = min(glyph.shape[0], H - 2), min(glyph.shape[1], W - 2)
    mask = np.zeros((H, W), np.float32)
    y, x = int(rng.integers(0, H - gh)), int(rng.integers(0, W - gw))
    mask[y:y + gh, x:x + gw] = glyph[:gh, :gw].clip(0, 1)
    paper = np.ones((H, W, 3), np.float32) * rng.uniform(0.85, 1.0)
    if lines != "plain":
        gap = int(rng.integers(18, 40))
        colour = np.array([0.55, 0.7, 0.9]) if rng.random() < 0.6 else np.array([0.6, 0.6, 0.6])
        grid = np.zeros((H, W), bool)
        grid[int(rng.integers(0, gap))::gap, :] = True
        if lines == "squared":
            grid[:, int(rng.integers(0, gap))::gap] = True
        paper[grid] = paper[grid] * 0.35 + colour * 0.65 * paper[grid]
    ink_rgb = [np.array([0.05, 0.05, 0.08]), np.array([0.1, 0.15, 0.5]), np.array([0.25, 0.25, 0.27])][rng.integers(3)]
    img = paper * (1 - mask[..., None]) + ink_rgb * mask[..., None]
    if shadow:
        yy, xx = np.mgrid[0:H, 0:W]
        a = rng.uniform(0, 2 * np.pi)
        edge = (np.cos(a) * (xx - W / 2) + np.sin(a) * (yy - H / 2)) / (0.08 * max(H, W))
        img *= (1 - rng.uniform(0.3, 0.55) / (1 + np.exp(-edge)))[..., None]
    img += rng.normal(0, 0.015, img.shape)
    pil = Image.fromarray((img.clip(0, 1) * 255).astype(np.uint8), "RGB").filter(
        ImageFilter.GaussianBlur(rng.uniform(0.2, 1.0)))
    return pil if rng.random() < 0.5 else pil.convert("L")


def pen(count: int = 500, seed: int = 1) -> list[tuple[int, bytes, str]]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        digit = i % 10
        lines = ("plain", "ruled", "squared")[rng.integers(3)]
        img = paper_photo(pen_digit(digit, rng), rng, lines, shadow=rng.random() < 0.25)
        data, ext = photos.encode(img, rng)
        out.append((digit, data, ext))
    return out


# ---- degraded MNIST --------------------------------------------------------------------------------------


def degrade(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A (28, 28) uint8 MNIST digit made bolder or thinner, then blurred at low resolution: ink (h, w)."""
    big = np.asarray(Image.fromarray(image).resize((112, 112), Image.Resampling.BICUBIC), np.float32).clip(0, 255) / 255
    change = int(rng.integers(-3, 9))  # pixels at 4x: thinner (<0) .. much bolder (>0)
    if change > 0:
        big = ndimage.grey_dilation(big, footprint=_disk(change))
    elif change < 0:
        big = ndimage.grey_erosion(big, footprint=_disk(-change))
        if big.max() < 0.3:
            big = np.asarray(Image.fromarray(image).resize((112, 112)), np.float32) / 255
    small = int(rng.integers(14, 40))  # the digit a few dozen pixels high
    low = Image.fromarray((big * 255).astype(np.uint8)).resize((small, small), Image.Resampling.BOX)
    low = low.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    return np.asarray(low, np.float32) / 255


def _disk(r: int) -> np.ndarray:
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    return yy ** 2 + xx ** 2 <= r * r


def mnist_digits(mnist_test=None):
    """A function (digit, rng) -> a random (28, 28) uint8 MNIST test image of that digit."""
    if mnist_test is None:
        from digitlab.datasets import mnist

        _, mnist_test = mnist.load_data()
    images, labels = mnist_test
    return lambda digit, rng: images[rng.choice(np.flatnonzero(labels == digit))]


def degraded(count: int = 500, seed: int = 2, mnist_test=None) -> list[tuple[int, bytes, str]]:
    pick = mnist_digits(mnist_test)
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        digit = i % 10
        ink = degrade(pick(digit, rng), rng)
        h, w = ink.shape
        frame = int(rng.integers(int(1.3 * h), 4 * h))  # a small photo around a small digit
        paper = np.full((frame, frame), rng.uniform(0.75, 1.0), np.float32)
        y, x = int(rng.integers(0, frame - h)), int(rng.integers(0, frame - w))
        paper[y:y + h, x:x + w] *= 1 - 0.9 * ink
        paper += rng.normal(0, 0.01, paper.shape)
        data, ext = photos.encode(Image.fromarray((paper.clip(0, 1) * 255).astype(np.uint8), "L"), rng)
        out.append((digit, data, ext))
    return out


# ---- phone photos: a small digit in a large picture -------------------------------------------------------


def crisp(image: np.ndarray, height: int) -> np.ndarray:
    """A (28, 28) uint8 MNIST digit enlarged to ``height`` px with crisp edges, as ink on paper: (h, w) in [0, 1]."""
    big = np.asarray(Image.fromarray(image).resize((height, height), Image.Resampling.BICUBIC), np.float32) / 255
    return 1 / (1 + np.exp(-12 * (big - 0.45)))


def phone_photo(ink: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Ink (h, w) in [0, 1] as a phone camera sees a note: a picture 1,000-2,000 px wide in which the digit is
    4-30% of the height, paper with grain, light falling off to one side, seen a little from an angle
    (perspective), focus soft, ink from pencil grey to black. RGB."""
    W = int(rng.integers(1000, 2000))
    H = int(W * rng.uniform(0.6, 0.8))
    height = max(12, int(rng.uniform(0.04, 0.3) * H))
    glyph = np.asarray(Image.fromarray(ink.astype(np.float32), "F").resize(
        (max(2, int(ink.shape[1] * height / ink.shape[0])), height), Image.Resampling.BILINEAR)).clip(0, 1)
    gh, gw = min(glyph.shape[0], H - 2), min(glyph.shape[1], W - 2)
    mask = np.zeros((H, W), np.float32)
    y, x = int(rng.integers(0, H - gh)), int(rng.integers(0, W - gw))
    mask[y:y + gh, x:x + gw] = glyph[:gh, :gw]
    grain = ndimage.gaussian_filter(rng.normal(0, 1, (H // 4, W // 4)).astype(np.float32), 1.0)
    paper = rng.uniform(0.7, 0.95) * (1 + 0.03 * np.asarray(Image.fromarray(grain, "F").resize((W, H))))
    xx = np.linspace(-1, 1, W)[None, :]
    yy = np.linspace(-1, 1, H)[:, None]
    a = rng.uniform(0, 2 * np.pi)
    light = 1 - rng.uniform(0.05, 0.35) * (0.5 + 0.5 * (np.cos(a) * xx + np.sin(a) * yy))
    darkness = rng.uniform(0.45, 0.92)
    grey = (paper * (1 - darkness * mask) * light).astype(np.float32)
    tint = rng.uniform(0.9, 1.0, 3) * np.array([1.0, 0.97, 0.92]) if rng.random() < 0.5 else np.ones(3)
    img = Image.fromarray((np.clip(grey[..., None] * tint, 0, 1) * 255).astype(np.uint8), "RGB")
    d = rng.uniform(-0.06, 0.06, 8) * np.array([W, H] * 4)  # the corners moved a little: seen at an angle
    corners = np.array([0, 0, 0, H, W, H, W, 0], float) + d
    img = img.transform((W, H), Image.Transform.QUAD, tuple(corners), Image.Resampling.BILINEAR,
                        fillcolor=tuple(int(v) for v in (np.array(img.getpixel((W // 2, 0))))))
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2.5)))
    noisy = np.asarray(img, np.float32) + rng.normal(0, rng.uniform(1, 5), (H, W, 1))
    return Image.fromarray(noisy.clip(0, 255).astype(np.uint8), "RGB")


def phone(count: int = 500, seed: int = 3, mnist_test=None) -> list[tuple[int, bytes, str]]:
    """Phone photos (JPEG) of MNIST test digits (real writers) and pen-drawn digits, alternately."""
    pick = mnist_digits(mnist_test)
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        digit = i % 10
        if i % 2:
            ink = pen_digit(digit, rng)
        else:
            ink = crisp(pick(digit, rng), int(rng.integers(100, 200)))
        buf = io.BytesIO()
        phone_photo(ink, rng).save(buf, format="JPEG", quality=int(rng.integers(75, 95)))
        out.append((digit, buf.getvalue(), "jpg"))
    return out


# ---- registry and the textbook recipe --------------------------------------------------------------------


def fonts(count: int = 500, seed: int = 0) -> list[tuple[int, bytes, str]]:
    from digitlab.datasets import mnist

    return photos.photos(count, seed, mnist.load_data()[1])


SOURCES = {"fonts": fonts, "pen": pen, "degraded": degraded, "phone": phone}


def textbook_recipe(data: bytes) -> np.ndarray:
    """The classic preparation: grey, ink made white, cropped to the ink, the longer side scaled to 20 px,
    centred by its centre of mass in 28x28. (28, 28) floats in [0, 1]."""
    a = np.asarray(Image.open(io.BytesIO(data)).convert("L"), np.float32) / 255
    if np.median(a) > 0.5:
        a = 1 - a
    a = np.clip((a - np.percentile(a, 50)) / max(1e-6, a.max() - np.percentile(a, 50)), 0, 1)
    a[a < 0.35] = 0
    rows, cols = np.flatnonzero(a.any(1)), np.flatnonzero(a.any(0))
    if rows.size == 0:
        return np.zeros((28, 28), np.float32)
    crop = a[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    s = 20 / max(crop.shape)
    size = (max(1, round(crop.shape[1] * s)), max(1, round(crop.shape[0] * s)))
    small = np.asarray(Image.fromarray(crop, "F").resize(size, Image.Resampling.LANCZOS), np.float32).clip(0, 1)
    out = np.zeros((28, 28), np.float32)
    y0, x0 = (28 - size[1]) // 2, (28 - size[0]) // 2
    out[y0:y0 + size[1], x0:x0 + size[0]] = small
    cy, cx = ndimage.center_of_mass(out)
    return ndimage.shift(out, (14 - cy, 14 - cx), order=1)


def write(directory: str | Path, source: str, count: int, seed: int | None = None) -> list[Path]:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    made = SOURCES[source](count) if seed is None else SOURCES[source](count, seed)
    paths = []
    for n, (label, data, ext) in enumerate(made):
        path = directory / f"{label}_{n:04d}.{ext}"
        path.write_bytes(data)
        paths.append(path)
    return paths


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="write photos from one source")
    parser.add_argument("out")
    parser.add_argument("--source", choices=sorted(SOURCES), default="pen")
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    print(f"{len(write(args.out, args.source, args.count))} photos in {args.out}")

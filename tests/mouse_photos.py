"""Digits drawn with the mouse on digitlab's own web page, in a real browser: the sixth photo source.

MNIST test digits (real writers) are thinned to their pen paths (scikit-image's ``skeletonize``),
traced into strokes, and drawn by playwright's mouse on the page's canvas at a random size and place,
as a person draws with a mouse: the page's own brush (round, 18 px on a 280 px canvas) renders them,
and the canvas is captured as the PNG the page sends to /api/predict. Nothing in the preparation or
the model was tuned on this source: the benchmark reports it on its own line, beside the held-out one.

    mouse(count, seed, url)   [(label, PNG bytes, "png")]; url: a running ``digitlab serve``, or None
                              to start one on a free port for the call (Debian's chromium is needed)
    strokes(image)            the pen paths of one (28, 28) digit: a pure function, tested on its own

    python -m tests.mouse_photos OUT_DIR --count 100
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
from PIL import Image

CHROMIUM = "/usr/bin/chromium"
CANVAS = 280      # the page's canvas, px
WORK = 84         # digits are thinned at 3x MNIST's size: smoother paths than at 28
STEP = 2          # a mouse event every STEP skeleton pixels along a path

_NEIGHBOURS = [(-1, 0), (0, -1), (0, 1), (1, 0), (-1, -1), (-1, 1), (1, -1), (1, 1)]  # 4-connected first


def trace(skeleton: np.ndarray) -> list[np.ndarray]:
    """A one-pixel-wide skeleton (H, W) bool -> paths (n, 2) of (row, col), together covering every pixel.

    Each path starts at an end (a pixel with one neighbour) if one is left, walks to unvisited neighbours
    until none is left, and begins at the visited pixel it branches from, so strokes join as drawn."""
    left = {(int(r), int(c)) for r, c in zip(*np.nonzero(skeleton))}
    pixels = set(left)

    def around(p):
        return [(p[0] + dr, p[1] + dc) for dr, dc in _NEIGHBOURS if (p[0] + dr, p[1] + dc) in pixels]
    paths = []
    while left:
        start = min(left, key=lambda p: (sum(q in left for q in around(p)), p))
        path = [q for q in around(start) if q not in left][:1] + [start]
        left.discard(start)
        while True:
            ahead = [q for q in around(path[-1]) if q in left]
            if not ahead:
                break
            path.append(ahead[0])
            left.discard(ahead[0])
        paths.append(np.array(path, float))
    return paths


def strokes(image: np.ndarray) -> list[np.ndarray]:
    """A (28, 28) uint8 digit -> its pen paths, each (n, 2) of (x, y) in the digit's box scaled to [0, 1]
    by its height (x up to width / height); paths of a pixel or two (specks) are dropped."""
    from skimage.morphology import skeletonize

    big = np.asarray(Image.fromarray(image).resize((WORK, WORK), Image.Resampling.BILINEAR), np.float32) / 255
    every = trace(skeletonize(big > 0.5))
    if not every:
        raise ValueError(f"no ink to trace: no pixel of the {WORK}x{WORK} digit reaches half intensity")
    paths = [p for p in every if len(p) > 2] or every
    points = np.vstack(paths)
    top, leftmost = points.min(axis=0)
    height = max(np.ptp(points[:, 0]), np.ptp(points[:, 1]) / 2, 1.0)
    return [np.stack([(p[:, 1] - leftmost) / height, (p[:, 0] - top) / height], axis=1) for p in paths]


def placed(paths: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """Pen paths in [0, 1] -> canvas pixels: a digit 90-230 px high (less if it is wide: it always fits
    inside a 12 px margin), anywhere it fits, a mouse event every STEP pixels of the thinned digit (and
    the last point)."""
    margin = 12
    ratio = max(max(p[:, 0].max() for p in paths), 1e-6)   # width / height
    height = min(rng.uniform(90, 230), (CANVAS - 2 * margin) / ratio)
    width = ratio * height
    x0 = rng.uniform(margin, max(margin, CANVAS - margin - width))
    y0 = rng.uniform(margin, max(margin, CANVAS - margin - height))
    out = []
    for p in paths:
        keep = np.unique(np.r_[np.arange(0, len(p), STEP), len(p) - 1])
        out.append(p[keep] * height + (x0, y0))
    return out


def draw(page, paths: list[np.ndarray]) -> bytes:
    """Clear the page's canvas, draw ``paths`` (canvas px) with the mouse, return the canvas as PNG."""
    import base64

    page.click("#clear")
    box = page.locator("#canvas").bounding_box()
    scale = box["width"] / CANVAS
    for path in paths:
        x, y = path[0]
        page.mouse.move(box["x"] + x * scale, box["y"] + y * scale)
        page.mouse.down()
        for x, y in path[1:]:
            page.mouse.move(box["x"] + x * scale, box["y"] + y * scale)
        page.mouse.up()
    url = page.evaluate("document.getElementById('canvas').toDataURL('image/png')")
    return base64.b64decode(url.split(",", 1)[1])


@contextlib.contextmanager
def served():
    """A ``digitlab serve`` on a free port of 127.0.0.1 with a throwaway feedback store -> its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="digitlab-mouse-") as tmp:
        proc = subprocess.Popen([sys.executable, "-m", "digitlab", "serve", "--port", str(port),
                                 "--db", str(Path(tmp) / "feedback.sqlite3")],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(f"{url}/healthz", timeout=1)
                    break
                except OSError:
                    if proc.poll() is not None:
                        raise RuntimeError(f"digitlab serve exited: {proc.stdout.read().decode()}") from None
                    time.sleep(0.1)
            else:
                raise RuntimeError(f"digitlab serve on {url} did not answer /healthz within 20 s")
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def mouse(count: int = 200, seed: int = 4, url: str | None = None, mnist_test=None) -> list[tuple[int, bytes, str]]:
    """``count`` MNIST test digits (a tenth of each), drawn with the mouse on the page at ``url``."""
    if url is None:
        with served() as url:
            return mouse(count, seed, url, mnist_test)
    from playwright.sync_api import sync_playwright

    from tests.photo_sources import mnist_digits

    pick, rng = mnist_digits(mnist_test), np.random.default_rng(seed)
    digits = [(i % 10, placed(strokes(pick(i % 10, rng)), rng)) for i in range(count)]
    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 700})
            page.goto(url)
            for label, paths in digits:
                out.append((label, draw(page, paths), "png"))
        finally:
            browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Write mouse-drawn digits (label_index.png) to OUT_DIR.")
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for i, (label, data, ext) in enumerate(mouse(args.count, args.seed)):
        (out / f"{label}_{i:04d}.{ext}").write_bytes(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

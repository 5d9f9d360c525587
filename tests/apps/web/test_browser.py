"""End to end in a real browser: Debian's chromium, driven by playwright, draws digits on the page with
mouse strokes and reads the label the page shows. Screenshots go to $DIGITLAB_ARTIFACTS (default
artifacts/)."""

import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("DIGITLAB_ARTIFACTS", Path(__file__).resolve().parents[3] / "artifacts"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    db = tmp_path_factory.mktemp("feedback") / "feedback.sqlite3"  # not the user's own store
    proc = subprocess.Popen([sys.executable, "-m", "digitlab", "serve", "--port", str(port), "--db", str(db)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"digitlab serve exited: {proc.stdout.read().decode()}")
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: apt-get install chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 900, "height": 700})
        page.goto(server)
        yield page
        browser.close()


def stroke(page, points):
    box = page.locator("#canvas").bounding_box()
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + points[0][0], y0 + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x0 + x, y0 + y, steps=4)
    page.mouse.up()


def ellipse(cx, cy, rx, ry, n=36):
    return [(cx + rx * math.sin(2 * math.pi * k / n), cy - ry * math.cos(2 * math.pi * k / n)) for k in range(n + 1)]


DIGITS = {
    1: [[(145, 45), (140, 240)]],
    0: [ellipse(140, 140, 62, 95)],
    7: [[(70, 55), (215, 55), (125, 245)]],
}


def test_the_empty_page_shows_an_empty_frame(page):
    # runs first, on the fresh page: before anything is drawn there is no image to show, and no broken-image icon
    assert page.locator("#label").inner_text() == "?"
    # an empty 28x28 frame (a black PNG), decoded, so no broken-image icon or alt text can show
    assert page.eval_on_selector("#seen", "img => img.complete && img.naturalWidth") == 28
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "empty.png"))


@pytest.mark.parametrize("digit", [1, 0, 7])
def test_drawing_a_digit_shows_it(page, digit):
    page.click("#clear")
    for points in DIGITS[digit]:
        stroke(page, points)
    page.wait_for_function(f"document.getElementById('label').dataset.label === '{digit}'", timeout=10_000)
    assert page.locator("#label").inner_text() == str(digit)
    assert page.locator("#seen").get_attribute("src").startswith("data:image/png;base64,")
    page.wait_for_timeout(300)  # the bars' width transition
    widths = page.eval_on_selector_all(  # drawn width of each bar, as a fraction of its track
        ".bars .fill", "els => els.map(e => e.getBoundingClientRect().width / e.parentElement.getBoundingClientRect().width)")
    assert max(widths) == widths[digit] and widths[digit] > 0.5
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"draw_{digit}.png"))


def test_clear_resets_the_answer(page):
    page.click("#clear")
    assert page.locator("#label").inner_text() == "?"
    assert page.locator("#status").inner_text() == "draw a digit"


def test_correcting_a_reading_stores_it_and_counts_it(page):
    page.click("#clear")
    assert page.locator("#right").is_disabled()  # nothing read, nothing to confirm
    for points in DIGITS[7]:
        stroke(page, points)
    page.wait_for_function("document.getElementById('label').dataset.label === '7'", timeout=10_000)
    page.wait_for_function("!document.getElementById('right').disabled", timeout=5_000)
    page.click("#truth button[data-digit='1']")  # "Wrong? It is a 1"
    page.wait_for_function("document.getElementById('feedback-status').dataset.stored", timeout=10_000)
    assert "kept as a 1, read as 7" in page.locator("#feedback-status").inner_text()
    assert page.locator("#counts td").nth(1).inner_text() == "1"
    assert page.locator("#right").is_disabled()  # one answer per reading
    page.screenshot(path=str(ARTIFACTS / "feedback_1.png"))


def test_uploading_a_photo_shows_its_digit(page, tmp_path):
    from PIL import Image, ImageDraw

    photo = Image.new("RGB", (640, 480), (215, 210, 190))  # a 4 in blue pen on cream paper
    ImageDraw.Draw(photo).line([(330, 90), (250, 300), (400, 300)], fill=(30, 40, 120), width=14)
    ImageDraw.Draw(photo).line([(360, 200), (360, 400)], fill=(30, 40, 120), width=14)
    path = tmp_path / "four.jpg"
    photo.save(path, quality=90)
    page.set_input_files("#upload", str(path))
    page.wait_for_function("document.getElementById('label').dataset.label === '4'", timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "upload_4.png"))


def side_by_side(page) -> bool:
    canvas, answer = page.locator("#canvas").bounding_box(), page.locator(".answer").bounding_box()
    return answer["x"] >= canvas["x"] + canvas["width"] and answer["y"] < canvas["y"] + canvas["height"] / 2


@pytest.mark.parametrize("name, content, message", [
    ("blank.png", "blank", "no ink found"),
    ("notes.png", b"these are notes, not a photo " * 20, "is not PNG or JPEG data"),
])
def test_an_upload_error_shows_the_servers_message_and_the_layout_holds(page, tmp_path, name, content, message):
    from PIL import Image

    path = tmp_path / name
    if content == "blank":
        Image.new("RGB", (300, 200), "white").save(path)
    else:
        path.write_bytes(content)
    assert side_by_side(page)
    page.set_input_files("#upload", str(path))
    page.wait_for_function("document.getElementById('status').classList.contains('error')", timeout=10_000)
    assert message in page.locator("#status").inner_text()
    assert page.locator("#label").inner_text() == "?"
    assert side_by_side(page)
    # the "what the model saw" box shows an empty 28x28 frame, not a broken image
    assert page.eval_on_selector("#seen", "img => img.complete && img.naturalWidth") == 28
    page.screenshot(path=str(ARTIFACTS / f"upload_error_{path.stem}.png"))
    page.click("#clear")
    assert page.locator("#status").inner_text() == "draw a digit"

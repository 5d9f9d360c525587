"""The downloader against a real HTTP server on 127.0.0.1 serving fixture files."""

import gzip
import hashlib
import http.server
import threading

import numpy as np
import pytest

from digitlab.datasets.base import DatasetSpec, SPLITS, load_files
from digitlab.datasets.download import download
from digitlab.errors import DownloadError
from digitlab.idx import encode_idx

RNG = np.random.default_rng(0)
CONTENT = {
    "train_images": encode_idx(RNG.integers(0, 256, (6, 28, 28), dtype=np.uint8)),
    "train_labels": encode_idx(np.arange(6, dtype=np.uint8)),
    "test_images": encode_idx(RNG.integers(0, 256, (4, 28, 28), dtype=np.uint8)),
    "test_labels": encode_idx(np.arange(4, dtype=np.uint8)),
}
NAMES = {k: f"{k}.gz" for k in SPLITS}
GOOD = {NAMES[k]: gzip.compress(v, mtime=0) for k, v in CONTENT.items()}


class Handler(http.server.BaseHTTPRequestHandler):
    """/good/F serves F; /missing/F is 404; /corrupt/F serves other content;
    /drop/F promises the full length and hangs up halfway; /flaky/F fails once then serves."""

    hits: dict[str, int] = {}

    def do_GET(self):
        _, mirror, name = self.path.split("/", 2)
        Handler.hits[self.path] = Handler.hits.get(self.path, 0) + 1
        body = GOOD.get(name)
        if body is None or mirror == "missing":
            return self.send_error(404)
        if mirror == "corrupt":
            body = gzip.compress(CONTENT["train_labels"][:-1] + b"\x09", mtime=0)
        if mirror == "flaky" and Handler.hits[self.path] == 1:
            return self.send_error(503)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mirror == "drop":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.close()
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def spec(server, *mirrors):
    return DatasetSpec(
        name="tiny",
        filenames=NAMES,
        sha256={k: hashlib.sha256(v).hexdigest() for k, v in CONTENT.items()},
        mirrors=tuple(f"{server}/{m}/" for m in mirrors),
        class_names=tuple("0123456789"),
    )


def no_partial_files(directory):
    return [p.name for p in directory.iterdir() if p.name.startswith(".")] == []


def test_falls_through_404_and_corrupt_to_the_good_mirror(server, tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_DATA", str(tmp_path))
    files = load_files(spec(server, "missing", "corrupt", "good"))
    assert {f.source for f in files.values()} == {"downloaded"}
    assert files["train_labels"].array.tolist() == list(range(6))
    assert (tmp_path / "tiny" / "train_labels.gz").read_bytes() == GOOD["train_labels.gz"]
    assert no_partial_files(tmp_path / "tiny")
    # a second load finds the files without the network
    again = load_files(spec(server, "missing"))
    assert {f.source for f in again.values()} == {"DIGITLAB_DATA"}


def test_cache_is_used_without_DIGITLAB_DATA(server, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    load_files(spec(server, "good"))
    assert sorted(p.name for p in (tmp_path / "digitlab" / "tiny").iterdir()) == sorted(GOOD)


def test_dropped_connection_is_retried_then_the_next_mirror_used(server, tmp_path):
    dest = tmp_path / "train_labels.gz"
    digest = hashlib.sha256(CONTENT["train_labels"]).hexdigest()

    def verify(path):
        from digitlab.idx import read_bytes
        from digitlab.errors import ChecksumError

        if hashlib.sha256(read_bytes(path)).hexdigest() != digest:
            raise ChecksumError("wrong content")

    before = Handler.hits.get("/drop/train_labels.gz", 0)
    download([f"{server}/drop/train_labels.gz", f"{server}/good/train_labels.gz"], dest, verify, backoff=0)
    assert Handler.hits["/drop/train_labels.gz"] - before == 3  # three attempts at the dropping mirror
    assert dest.read_bytes() == GOOD["train_labels.gz"]
    assert no_partial_files(tmp_path)


def test_transient_5xx_is_retried_on_the_same_mirror(server, tmp_path):
    dest = tmp_path / "test_labels.gz"
    download([f"{server}/flaky/test_labels.gz"], dest, lambda p: None, backoff=0)
    assert dest.read_bytes() == GOOD["test_labels.gz"]


def test_all_mirrors_failing_lists_every_url_and_leaves_nothing(server, tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_DATA", str(tmp_path))
    with pytest.raises(DownloadError) as e:
        load_files(spec(server, "missing", "corrupt", "drop"))
    msg = str(e.value)
    for mirror, reason in [("missing", "HTTP 404"), ("corrupt", "rejected"), ("drop", "after 3 attempts")]:
        assert f"{server}/{mirror}/" in msg and reason in msg
    assert "by hand" in msg and str(tmp_path / "tiny") in msg
    assert "\n" not in msg
    assert not (tmp_path / "tiny").exists() or list((tmp_path / "tiny").iterdir()) == []


def test_no_network_error_names_urls(tmp_path, monkeypatch):
    import socket

    with socket.socket() as s:  # a port with nothing listening: connection refused, as offline
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("DIGITLAB_DATA", str(tmp_path))
    with pytest.raises(DownloadError, match=rf"http://127.0.0.1:{port}/m/train_images.gz: .*refused"):
        load_files(spec(f"http://127.0.0.1:{port}", "m"))

"""Feedback under load, on a real server (``digitlab serve`` under uvicorn, in a subprocess): 200 posts from
16 clients at once are all stored, none twice; and after a kill -9 in the middle of such a burst, every
post the server acknowledged is in the store, once."""

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from digitlab.feedback import open_store

from ...feedback.conftest import postgres_server, postgres_url  # noqa: F401 (fixtures: a throwaway PostgreSQL)
from .test_api import ONE, data_url, drawing
from .test_browser import free_port

BODY_IMAGE = data_url(drawing(ONE))


def start(db):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "digitlab", "serve", "--port", str(port), "--db", str(db)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc, port
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"digitlab serve exited: {proc.stdout.read().decode()}")
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("digitlab serve did not answer within 30 s")


def post(port, request_id, label) -> bool:
    """True when the server acknowledged the example as stored (200)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", "/api/feedback", json.dumps({"image": BODY_IMAGE, "label": label, "id": request_id}),
                     {"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        return response.status == 200
    except (OSError, http.client.HTTPException):  # refused, reset, or cut mid-answer (IncompleteRead, ...)
        return False
    finally:
        conn.close()


def burst(ports, clients, per_client, stop=None):
    """Each client posts its own examples in turn (client c to server c % len(ports)); returns the ids
    acknowledged, and those that were not."""
    acked, failed, lock = [], [], threading.Lock()

    def client(c):
        for i in range(per_client):
            if stop is not None and stop.is_set():
                return
            request_id = f"c{c}-{i}"
            ok = post(ports[c % len(ports)], request_id, (c + i) % 10)
            with lock:
                (acked if ok else failed).append(request_id)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    return threads, acked, failed


def stored_ids(db) -> list[str]:
    with open_store(db) as store:
        return [e.request_id for e in store.examples()]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_200_concurrent_posts_from_16_clients_are_all_stored_once(kind, tmp_path, request):
    # on PostgreSQL, two servers share the store, as behind a classroom's load balancer
    db = tmp_path / "feedback.sqlite3" if kind == "sqlite" else request.getfixturevalue("postgres_url")
    servers = [start(db) for _ in range(1 if kind == "sqlite" else 2)]
    try:
        threads, acked, failed = burst([port for _, port in servers], 16, 13)  # 208 posts
        for t in threads:
            t.join()
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(timeout=20)
    assert not failed and len(acked) == 16 * 13
    ids = stored_ids(db)
    assert sorted(ids) == sorted(acked)  # every acknowledged one stored, none twice, nothing else


def test_every_acknowledged_post_survives_a_kill_9_of_the_server(tmp_path):
    db = tmp_path / "feedback.sqlite3"
    proc, port = start(db)
    stop = threading.Event()
    try:
        threads, acked, failed = burst([port], 16, 1000, stop)
        deadline = time.monotonic() + 120
        while len(acked) < 100 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)  # in the middle of the burst: requests are in flight
        proc.wait(timeout=20)
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
    for t in threads:
        t.join()
    assert len(acked) >= 100 and failed, "the kill should have cut some posts off"
    proc, port = start(db)  # the server starts again on the store it left
    try:
        stats = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/feedback/stats", timeout=10))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    ids = stored_ids(db)
    assert len(ids) == len(set(ids)) == stats["total"]  # none twice
    assert set(acked) <= set(ids)                       # every acknowledged one survived
    assert set(ids) <= set(acked) | set(failed)         # and nothing that was never sent

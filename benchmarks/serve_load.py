"""Load on ``digitlab serve``: requests/s, p50/p99 latency and errors, with a burst of bad uploads.

The server runs on 127.0.0.1 in its own processes; the load comes from a second process: ``--clients``
connections (keep-alive) each posting canvas-sized PNG drawings as the page does (JSON data URLs),
for ``--seconds``. With ``--rate`` the clients together send at most that many requests per second
(open loop: latency is then measured from when each request was due); without it they send as fast as
answers come (closed loop). In the middle third, ``--burst`` more connections send ``--burst-rate`` oversized (6 MB), garbage
and wrong-type uploads a second, each on a new connection; good requests' latency then is compared
with the rest of the run.

    python benchmarks/serve_load.py [--clients 16] [--seconds 30] [--rate 0] [--workers 2]

Targets (issue 6): >= 300 requests/s with p99 <= 50 ms and no errors; during the burst, good requests'
p99 at most 2x what it is outside it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
from targets import Targets  # benchmarks/targets.py


def canvas_bodies(n: int = 24) -> list[bytes]:
    """JSON bodies like the page's: MNIST test digits drawn dark on a white 280x280 canvas, as PNG data URLs."""
    from PIL import Image

    from digitlab.datasets import mnist

    _, (x, _) = mnist.load_data()
    bodies = []
    for image in x[:n]:
        big = Image.fromarray(255 - image).resize((280, 280), Image.Resampling.BILINEAR)
        buf = io.BytesIO()
        big.convert("RGBA").save(buf, format="PNG")
        url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
        bodies.append(json.dumps({"image": url}).encode())
    return bodies


def request(body: bytes, content_type: str = "application/json", close: bool = False) -> bytes:
    connection = "Connection: close\r\n" if close else ""
    head = (f"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n{connection}\r\n")
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def good_client(port, bodies, start, seconds, interval, results, k):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    due, i = start + k * (interval or 0) / 16, k
    while True:
        now = time.perf_counter()
        if interval:
            if due > now:
                await asyncio.sleep(due - now)
            sent = due  # open loop: waiting for our turn counts against the server
            due += interval
        else:
            sent = now
        if sent - start >= seconds:
            break
        try:
            writer.write(request(bodies[i % len(bodies)]))
            await writer.drain()
            status = await read_response(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            status = -1
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        results.append((sent - start, time.perf_counter() - sent, status))
        i += 1
    writer.close()


BAD = [(b"\x00" * (6 * 1024 * 1024), "image/png"), (os.urandom(20_000), "image/png"),
       (b"hello", "text/plain"), (b'{"image": "data:image/png;base64,AAAA"}', "application/json")]


async def bad_client(port, start, t0, t1, interval, counts, k, requests):
    i, due = k, start + t0
    while True:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        due += interval
        if time.perf_counter() - start >= t1:
            break
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(requests[i % len(requests)])
            await writer.drain()
            status = await read_response(reader)
            writer.close()
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            status = -1  # the server may close on an oversized body before reading it all
        counts[status] = counts.get(status, 0) + 1
        i += 1


def run_load(port, clients, seconds, rate, burst, burst_rate, queue) -> None:
    """The second process: all the clients, then the results through ``queue``."""
    bodies = canvas_bodies()

    async def main():
        results, counts = [], {}
        start = time.perf_counter()
        interval = clients / rate if rate else None
        tasks = [good_client(port, bodies, start, seconds, interval, results, k) for k in range(clients)]
        bad = [request(body, kind, close=True) for body, kind in BAD]  # built once: the client should not be the load
        tasks += [bad_client(port, start, seconds / 3, 2 * seconds / 3, burst / burst_rate, counts, k, bad)
                  for k in range(burst)]
        await asyncio.gather(*tasks)
        return results, counts

    queue.put(asyncio.run(main()))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=0, help="good requests/s in all (open loop); 0 (default): closed loop")
    parser.add_argument("--burst", type=int, default=4, help="connections sending bad uploads in the middle third")
    parser.add_argument("--burst-rate", type=float, default=100, help="bad uploads per second in all (default: 100)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "digitlab", "serve", "--port", str(port),
                               "--workers", str(args.workers)])
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        queue = multiprocessing.get_context("spawn").Queue()
        client = multiprocessing.get_context("spawn").Process(
            target=run_load, args=(port, args.clients, args.seconds, args.rate, args.burst, args.burst_rate, queue))
        client.start()
        results, bad_counts = queue.get()
        client.join()
    finally:
        server.terminate()
        server.wait(timeout=20)

    sent, latency, status = (np.array(c) for c in zip(*results))
    ok = status == 200
    in_burst = (sent >= args.seconds / 3) & (sent < 2 * args.seconds / 3)
    ms = latency * 1000

    def pct(mask, q):
        return float(np.percentile(ms[mask & ok], q)) if (mask & ok).any() else float("nan")

    everyone = np.ones_like(ok)
    mode = f"open loop at {args.rate:g}/s" if args.rate else "closed loop"
    print(f"{args.clients} clients, {mode}, {args.seconds:g} s, server: {args.workers} worker(s); "
          f"canvas PNGs (280x280) as JSON data URLs")
    print(f"good requests: {ok.sum()} answered in {args.seconds:g} s = {ok.sum() / args.seconds:.0f} requests/s; "
          f"p50 {pct(everyone, 50):.1f} ms, p99 {pct(everyone, 99):.1f} ms; errors {int((~ok).sum())}")
    outside_p99, burst_p99 = pct(~in_burst, 99), pct(in_burst, 99)
    print(f"during the burst of bad uploads ({sum(bad_counts.values())} sent; answers {dict(sorted(bad_counts.items()))}, "
          "-1: connection closed after the 413 while the 6 MB were still being sent): "
          f"good p50 {pct(in_burst, 50):.1f} ms, p99 {burst_p99:.1f} ms; outside it p50 {pct(~in_burst, 50):.1f} ms, "
          f"p99 {outside_p99:.1f} ms: {burst_p99 / outside_p99:.2f}x")
    targets = Targets("serve_load")
    targets.at_least("good requests answered per second", ok.sum() / args.seconds, 300, "/s", ".0f")
    targets.at_most("p99 latency of good requests", pct(everyone, 99), 50, " ms", ".1f")
    targets.at_most("errors among good requests", int((~ok).sum()), 0, "", "d")
    targets.at_most("good p99 during the burst / outside it", burst_p99 / outside_p99, 2, "x", ".2f")
    return targets.report()


if __name__ == "__main__":
    sys.exit(main())

"""Time loading all 70,000 bundled MNIST images and labels, checksums included.

Target (issue 2): median <= 0.5 s on a 2-core machine. The peer, timed in the
same run, is the seed-000 loader: gzip.open, struct.unpack of the header and
np.frombuffer, with no checksum.

    python benchmarks/load_data.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import struct
import time

import numpy as np

from digitlab.datasets import mnist
from targets import Targets  # benchmarks/targets.py

TARGET_S = 0.5


def seed_loader(directory, kind: str):
    """The tutorials' loader: read a gzip IDX pair with struct and NumPy, no checks."""
    with gzip.open(directory / f"{kind}-labels-idx1-ubyte.gz", "rb") as f:
        _, n = struct.unpack(">II", f.read(8))
        labels = np.frombuffer(f.read(), dtype=np.uint8)
    with gzip.open(directory / f"{kind}-images-idx3-ubyte.gz", "rb") as f:
        _, n, rows, cols = struct.unpack(">IIII", f.read(16))
        images = np.frombuffer(f.read(), dtype=np.uint8).reshape(n, rows, cols)
    return images, labels


def timeit(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    bundled = mnist.SPEC.local_dirs[0][0]
    ours = timeit(mnist.load_data, args.repeats)
    peer = timeit(lambda: (seed_loader(bundled, "train"), seed_loader(bundled, "t10k")), args.repeats)
    m_ours, m_peer = statistics.median(ours), statistics.median(peer)
    print(f"digitlab load_data (70,000 images, SHA-256 checked): median {m_ours:.3f} s "
          f"(min {min(ours):.3f}, max {max(ours):.3f}, n={args.repeats})")
    print(f"seed-000 loader (gzip.open + struct, no checksum):  median {m_peer:.3f} s")
    print(f"ratio peer/ours: {m_peer / m_ours:.2f}x")
    targets = Targets("load_data")
    targets.at_most("median time to load MNIST, checked", m_ours, TARGET_S, " s", ".2f")
    return targets.report()


if __name__ == "__main__":
    raise SystemExit(main())

"""Run fuzz cases in a worker process with an address-space limit and a per-case timeout.

    python -m tests.fuzz.run                         # every surface, 1,000 cases each (as CI runs them)
    python -m tests.fuzz.run idx web --cases 5000    # a longer local run
    python -m tests.fuzz.run model --seed 0 --start 123 --count 1   # reproduce one case

The worker prints one JSON line per case; the parent reads them with a timeout,
so a case that hangs is killed and named, a crash (a signal) is named by the
case it happened in, and the worker's peak resident memory (``VmHWM``) is sent
with every case. (``wait4``'s ``ru_maxrss`` would not do: a forked child starts
with its parent's resident size, so a big pytest process made every worker look big.) A case passes when it returns or raises its surface's
documented error (and no MemoryError or RecursionError is hidden inside it).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import select
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CASES = int(os.environ.get("DIGITLAB_FUZZ_CASES", "1000"))  # per surface in CI; more for a local run
TIMEOUT = 30.0                    # seconds one case may take (generous: CI machines are shared)
ADDRESS_SPACE = 3 << 30           # the worker's RLIMIT_AS: a blow-up fails fast instead of swapping
PEAK_RSS = 1 << 30                # what the worker's resident memory may reach at most


@dataclass
class Report:
    surface: str
    cases: int = 0
    refused: int = 0              # raised the documented error
    accepted: int = 0             # read without error (a mutation that left the input valid)
    failures: list[str] = field(default_factory=list)
    peak_rss: int = 0             # bytes
    seconds: float = 0.0


def _hidden(e: BaseException) -> BaseException | None:
    """A MemoryError or RecursionError anywhere in ``e``'s chain: a blow-up that a wrapper turned into a refusal."""
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, (MemoryError, RecursionError)):
            return e
        e = e.__cause__ or e.__context__
    return None


def _peak_rss() -> int:
    """This process's peak resident memory in bytes, since its last exec (Linux ``VmHWM``)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("/proc/self/status has no VmHWM line: the fuzz run's memory cap needs Linux to measure the peak")


def worker(surface: str, seed: int, start: int, count: int) -> None:
    os.environ.setdefault("DIGITLAB_MODEL", "")
    from tests.fuzz.cases import case, expected_errors

    expected = expected_errors(surface)
    with tempfile.TemporaryDirectory(prefix="digitlab-fuzz-") as tmp:
        for i in range(start, start + count):
            print(json.dumps({"i": i, "event": "start"}), flush=True)
            record = {"i": i, "event": "end"}
            try:
                run = case(surface, seed, i, Path(tmp))
                result = run()
                refused = isinstance(result, tuple) and result[:1] == ("status",) and result[1] >= 400
                record["outcome"] = "refused" if refused else "accepted"
            except expected as e:
                hidden = _hidden(e)
                record["outcome"] = "refused" if hidden is None else "failed"
                record["detail"] = f"{type(e).__name__}: {str(e)[:200]}" + (
                    f" (hiding {type(hidden).__name__})" if hidden else "")
            except Exception as e:  # noqa: BLE001 - anything else is what the fuzzer looks for
                record["outcome"] = "failed"
                record["detail"] = "".join(traceback.format_exception(e))[-1500:]
            record["peak"] = _peak_rss()
            print(json.dumps(record), flush=True)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run(surface: str, seed: int = 0, start: int = 0, count: int = CASES, timeout: float = TIMEOUT) -> Report:
    """Run cases start..start+count-1 of ``surface`` in a fresh, memory-limited worker process."""
    report, began = Report(surface), time.monotonic()
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2",
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "tests.fuzz.run", "--worker", surface, "--seed", str(seed),
                             "--start", str(start), "--count", str(count)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_limit_memory)
    current, buffer = None, b""
    while True:
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        if not ready:
            proc.kill()
            report.failures.append(f"case {current}: no answer within {timeout:g} s (hangs)")
            break
        chunk = os.read(proc.stdout.fileno(), 1 << 16)
        if not chunk:
            break
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            record = json.loads(line)
            current = record["i"]
            if record["event"] != "end":
                continue
            report.cases += 1
            report.peak_rss = max(report.peak_rss, record["peak"])
            outcome = record["outcome"]
            if outcome == "failed":
                report.failures.append(f"case {current}: {record['detail']}")
            else:
                setattr(report, outcome, getattr(report, outcome) + 1)
    _, status = os.waitpid(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace")
    if proc.returncode < 0 and not any("hangs" in f for f in report.failures):
        report.failures.append(f"case {current}: the worker died of signal {-proc.returncode} (a crash)")
    elif proc.returncode > 0:
        report.failures.append(f"case {current}: the worker exited {proc.returncode}: {stderr[-1500:]}")
    if report.peak_rss > PEAK_RSS:
        report.failures.append(f"peak memory {report.peak_rss / 2**20:.0f} MiB over the {PEAK_RSS / 2**20:.0f} MiB cap")
    report.seconds = time.monotonic() - began
    return report


def main(argv: list[str] | None = None) -> int:
    from tests.fuzz.cases import SURFACES

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("surfaces", nargs="*", metavar="SURFACE", help=f"{', '.join(SURFACES)} (default: all)")
    p.add_argument("--cases", "--count", dest="count", type=int, default=CASES, help="cases per surface")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start", type=int, default=0, help="first case index")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    unknown = set() if args.worker else set(args.surfaces) - set(SURFACES)
    if unknown:
        p.error(f"unknown surface {', '.join(sorted(unknown))}; expected {', '.join(SURFACES)}")
    args.surfaces = args.surfaces or list(SURFACES)
    if args.worker:
        worker(args.surfaces[0], args.seed, args.start, args.count)
        return 0
    failed = 0
    print(f"{'surface':<8} {'cases':>6} {'refused':>8} {'accepted':>9} {'failed':>7} {'peak MiB':>9} {'seconds':>8}")
    for surface in args.surfaces:
        r = run(surface, args.seed, args.start, args.count)
        failed += len(r.failures)
        print(f"{surface:<8} {r.cases:>6} {r.refused:>8} {r.accepted:>9} {len(r.failures):>7} "
              f"{r.peak_rss / 2**20:>9.0f} {r.seconds:>8.1f}", flush=True)
        for f in r.failures[:20]:
            print("   ", f.replace("\n", "\n    "))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

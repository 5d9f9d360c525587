"""The fuzz suite (issue 11): seeded bad input on every surface, each surface in its own worker process with
an address-space limit, a per-case timeout and a cap on peak memory. Only the documented error types, no 5xx,
no hang, no crash. DIGITLAB_FUZZ_CASES sets the cases per surface (1,000 by default; see tests/fuzz/run.py)."""

import pytest

from tests.fuzz.cases import SURFACES
from tests.fuzz.run import CASES, run


@pytest.mark.parametrize("surface", SURFACES)
def test_bad_input_gets_only_documented_errors(surface):
    report = run(surface, seed=0, count=CASES)
    assert not report.failures, "\n".join(report.failures[:10])
    assert report.cases == CASES
    assert report.refused > CASES // 2  # the generators really produce bad input


@pytest.mark.parametrize("kind, message", [("hang", "case 0: no answer within 3 s (hangs)"),
                                           ("crash", "case 0: the worker died of signal 11"),
                                           ("memory", "MemoryError"),
                                           ("rss", "over the 1024 MiB cap")])
def test_the_harness_sees_a_hang_a_crash_and_a_blow_up(kind, message):
    """Each kind of failure the suite exists for is reported, with the case that caused it."""
    report = run(f"selftest-{kind}", seed=0, count=1, timeout=3 if kind == "hang" else 60)
    assert any(message in f for f in report.failures), report.failures


def test_the_peak_is_the_workers_own_not_its_parents():
    """A big test process (a trained model, MNIST in memory) must not make every worker look big."""
    ballast = bytearray(b"x") * (1100 << 20)  # resident in this process while the worker forks
    report = run("pickle", seed=0, count=5)
    assert len(ballast) and report.peak_rss < 512 << 20, report.peak_rss / 2**20

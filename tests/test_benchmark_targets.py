"""benchmarks/targets.py: every target printed with its own verdict; the exit status says if one was missed."""

import importlib.util

from tests.conftest import ROOT

spec = importlib.util.spec_from_file_location("targets", ROOT / "benchmarks" / "targets.py")
targets = importlib.util.module_from_spec(spec)
spec.loader.exec_module(targets)


def test_one_verdict_per_target_and_non_zero_exit_when_one_is_missed(capsys):
    t = targets.Targets("bench")
    assert t.at_most("time", 0.9, 1.2, " s", ".2f") and t.at_least("accuracy", 97.9, 97.8, "%", ".1f")
    assert not t.at_least("ratio", 1.1, 1.8, "x", ".2f")
    assert t.report() == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[-1] for line in lines[2:5]] == ["met", "met", "MISSED"]
    assert lines[4].split() == ["ratio", "target", ">=", "1.80x", "measured", "1.10x", "MISSED"]
    assert lines[-1] == "bench: 2 of 3 targets met; MISSED: ratio"


def test_all_met_exits_0_and_an_unchecked_target_is_not_met(capsys):
    t = targets.Targets("bench")
    t.within("accuracy", 95.8, 95.5, 96.3, "%", ".2f")
    assert t.report() == 0
    assert capsys.readouterr().out.splitlines()[-1] == "bench: 1 of 1 targets met"
    t.skip("1000 epochs", "<= 120 s", "--epochs 2")
    assert t.report() == 1
    assert "not checked: --epochs 2" in capsys.readouterr().out

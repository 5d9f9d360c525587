import json

import pytest

from digitlab.apps.cli import main

from tests.conftest import SHARED

SAMPLE = SHARED / "data" / "dlfs" / "sample_weight.pkl"


@pytest.mark.skipif(not SAMPLE.is_file(), reason="../shared/data/dlfs/sample_weight.pkl is not present")
def test_dlfs_pretrained_row_and_json(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["reproduce", "dlfs-pretrained", "--weights", str(SAMPLE), "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "dlfs-pretrained" in table and "0.9352 (batch 100: 0.9352)" in table
    doc = json.loads(out.read_text())
    assert doc["quick"] is False
    (row,) = doc["results"]
    assert row["values"] == {"accuracy_one_at_a_time": 0.9352, "accuracy_batch_100": 0.9352}


def test_without_weights_dlfs_is_skipped_and_says_why(tmp_path, capsys):
    assert main(["reproduce", "dlfs-pretrained", "--json", str(tmp_path / "r.json")]) == 0
    assert "needs the book's sample_weight.pkl: --weights PATH" in capsys.readouterr().out


def test_two_layer_net_numerical_reports_the_speed_up(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["reproduce", "two-layer-net", "--gradient", "numerical", "--iters", "2", "--quick",
                 "--json", str(out)]) == 0
    (row,) = json.loads(out.read_text())["results"]
    speed = row["values"]["seconds_per_iteration"]
    assert row["values"]["iterations"] == 2 and row["values"]["gradient"] == "numerical"
    assert speed["backprop"] < speed["numerical"] < speed["naive"]
    assert row["values"]["numerical_speedup_over_naive"] > 10
    assert "numerical is" in capsys.readouterr().out


def test_quick_keras_row_over_two_seeds(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["reproduce", "keras-512", "--quick", "--seeds", "2", "--json", str(out)]) == 0
    (row,) = json.loads(out.read_text())["results"]
    assert row["system"] == "keras-512 (1 epoch)" and row["values"]["test_accuracy"] > 0.94
    per_seed = row["values"]["test_accuracy_per_seed"]
    assert len(per_seed) == 2 and per_seed[0] == row["values"]["test_accuracy"] and per_seed[0] != per_seed[1]
    assert "2 seeds: mean" in row["ours"]
    assert "quick: 1 of 5 epochs" in capsys.readouterr().out


def test_unknown_system_and_bad_iters_are_one_line_errors(capsys):
    assert main(["reproduce", "lenet"]) == 1
    assert "unknown system 'lenet' (expected one of: raschka-mlp, " in capsys.readouterr().err
    assert main(["reproduce", "two-layer-net", "--iters", "0"]) == 2

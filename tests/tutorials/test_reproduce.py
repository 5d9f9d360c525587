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


def test_without_weights_dlfs_uses_the_copy_shipped_in_the_package(tmp_path, capsys):
    assert main(["reproduce", "dlfs-pretrained", "--json", str(tmp_path / "r.json")]) == 0
    assert "0.9352 (batch 100: 0.9352)" in capsys.readouterr().out


def test_a_partial_run_keeps_the_rows_of_an_earlier_fuller_table(tmp_path, capsys):
    out = tmp_path / "r.json"
    earlier = {"quick": False, "results": [
        {"system": "raschka-mlp", "ours": "train 97.54%, test 95.75%", "quick": False},
        {"system": "dlfs-pretrained", "ours": "stale", "quick": False},
        {"system": "dlfs-pretrained", "ours": "from a quick run", "quick": True}]}
    out.write_text(json.dumps(earlier))
    assert main(["reproduce", "dlfs-pretrained", "--json", str(out)]) == 0
    assert "1 row from this run, 2 kept from earlier runs" in capsys.readouterr().out
    rows = {(r["system"], r["quick"]): r["ours"] for r in json.loads(out.read_text())["results"]}
    assert rows == {("raschka-mlp", False): "train 97.54%, test 95.75%",
                    ("dlfs-pretrained", True): "from a quick run",
                    ("dlfs-pretrained", False): "0.9352 (batch 100: 0.9352)"}


def test_bad_paths_are_refused_before_anything_runs(tmp_path, capsys):
    foreign = tmp_path / "notes.json"
    foreign.write_text('{"a": 1}')
    assert main(["reproduce", "raschka-mlp", "--json", str(foreign)]) == 1
    assert "is not a table from digitlab reproduce" in capsys.readouterr().err
    assert foreign.read_text() == '{"a": 1}'
    assert main(["reproduce", "raschka-mlp", "--json", str(tmp_path / "missing" / "r.json")]) == 1
    assert "directory " + str(tmp_path / "missing") + " does not exist" in capsys.readouterr().err
    not_pickle = tmp_path / "w.pkl"
    not_pickle.write_bytes(b"\x89PNG\r\n\x1a\n")
    assert main(["reproduce", "raschka-mlp", "--weights", str(not_pickle), "--json", str(tmp_path / "r.json")]) == 1
    assert "w.pkl: not a readable pickle of NumPy arrays" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()


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


def test_unknown_system_and_bad_iters_are_usage_errors(capsys):
    assert main(["reproduce", "lenet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: digitlab reproduce") and "unknown system 'lenet' (expected one of: raschka-mlp, " in err
    assert main(["reproduce", "two-layer-net", "--iters", "0"]) == 2
    assert "digitlab reproduce: error: --iters 0: expected at least 1" in capsys.readouterr().err

"""digitlab feedback stats|list|export|delete and digitlab train --finetune, through the CLI."""

import json

import numpy as np
import pytest

from digitlab.apps.cli import main
from digitlab.feedback import open_store
from digitlab.idx import read_idx
from digitlab.vision import predict

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@pytest.fixture
def db(tmp_path, mnist_data):
    """A store holding 30 MNIST test digits, 3 of each, as if labelled on the page."""
    _, (xt, yt) = mnist_data
    rows = np.concatenate([np.flatnonzero(yt == d)[:3] for d in range(10)])
    path = tmp_path / "f.sqlite3"
    with open_store(path) as store:
        for i in rows:
            store.add(f"r{i}", int(yt[i]), PNG, "image/png", xt[i], predicted_label=int(yt[i]))
    return str(path)


def test_stats_list_export_delete(db, tmp_path, capsys):
    assert main(["feedback", "--db", db, "stats"]) == 0
    out = capsys.readouterr().out
    assert "schema version 1" in out and out.splitlines()[-1].split() == ["examples", *["3"] * 10, "30"]
    assert main(["feedback", "list", "--json", "--label", "4", "--db", db]) == 0  # --db after the action too
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["label"] for e in listed] == [4, 4, 4] and listed[0]["image_type"] == "image/png"
    assert main(["feedback", "--db", db, "export", "--out", str(tmp_path / "idx")]) == 0
    assert "wrote 30 examples" in capsys.readouterr().out
    x, y = read_idx(tmp_path / "idx" / "feedback-images-idx3-ubyte"), read_idx(tmp_path / "idx" / "feedback-labels-idx1-ubyte")
    assert x.shape == (30, 28, 28) and sorted(y) == sorted(list(range(10)) * 3)
    assert main(["feedback", "--db", db, "delete", "--id", str(listed[0]["id"])]) == 0
    assert main(["feedback", "--db", db, "delete", "--id", "99999"]) == 1
    assert "deleted 0 of 1" in capsys.readouterr().err
    assert main(["feedback", "--db", db, "delete", "--all"]) == 0
    assert "deleted 29 example(s)" in capsys.readouterr().out
    assert main(["feedback", "--db", db, "export", "--out", str(tmp_path / "idx")]) == 1
    assert capsys.readouterr().err.startswith("digitlab: error: ")


QUICK = ["--epochs", "1", "--replay", "500", "--repeats", "3", "--verbose", "1"]


def test_train_finetune_reports_before_and_after_and_saves(db, tmp_path, capsys):
    out = tmp_path / "personal.safetensors"
    assert main(["train", "--finetune", "default", "--feedback", db, "--out", str(out), *QUICK]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "fine-tuned on 20 of 30 examples (10 held back)"  # of each digit's 3, round(0.2 * 3) = 1
    assert lines[1].startswith("your held-back examples: ") and lines[2].startswith("MNIST test: ")
    model = predict.load(out)
    assert model.meta["finetune"]["held_back"] == 10 and model.meta["finetune"]["mnist_after"] > 0.9


def test_a_fine_tune_that_costs_mnist_accuracy_writes_nothing(db, tmp_path, capsys):
    out = tmp_path / "personal.safetensors"
    assert main(["train", "--finetune", "default", "--feedback", db, "--out", str(out), *QUICK, "--lr", "50"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("digitlab: error: ") and len(err.splitlines()) == 1
    assert not out.exists()


def test_finetune_needs_examples(tmp_path, capsys):
    assert main(["train", "--finetune", "default", "--feedback", str(tmp_path / "empty.sqlite3"),
                 "--out", str(tmp_path / "p.safetensors")]) == 1
    assert "no examples stored yet" in capsys.readouterr().err

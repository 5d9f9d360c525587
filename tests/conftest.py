from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_data_env(monkeypatch, tmp_path_factory):
    """No test sees the developer's own DIGITLAB_DATA or cache."""
    monkeypatch.delenv("DIGITLAB_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data")))  # where feedback is stored
    for name in ("DIGITLAB_FEEDBACK_DB", "DIGITLAB_LEARN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def mnist_data():
    from digitlab.datasets import mnist

    return mnist.load_data()

"""``serve --learn N``: after every N new examples, fine-tune a personal model in a background process
(``digitlab train --finetune``) and swap it in when it is done; requests never wait for it.

The fine-tune always starts from the base model, on every example stored, so corrections add up
instead of drifting. A fine-tune that fails or is refused (see ``feedback.finetune``) leaves the
serving model as it was; the status says why.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path


class Learner:
    def __init__(self, every: int, base_model: str | None, store: str, out: str | os.PathLike,
                 swap, extra_args: tuple[str, ...] = ()):
        """``swap(path)`` loads the model file at ``path`` and serves it; ``extra_args`` go to ``digitlab train``."""
        if every < 1:
            raise ValueError(f"learn every {every} examples: expected at least 1")
        self.every, self.base_model, self.store, self.out = every, base_model, store, Path(out)
        self.swap, self.extra_args = swap, tuple(extra_args)
        self.status, self.message, self.trained_at = "collecting", "", None  # trained_at: examples then
        self.trainings = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def info(self, total: int) -> dict:
        due = self.every - (total - (self.trained_at or 0)) if self.status != "training" else 0
        return {"status": self.status, "message": self.message, "every": self.every, "trainings": self.trainings,
                "next_in": max(0, due), "file": str(self.out) if self.out.is_file() else None}

    def noticed(self, total: int) -> None:
        """Called after an example is stored, with the store's total: starts a fine-tune when one is due."""
        with self._lock:
            if self.status == "training" or total - (self.trained_at or 0) < self.every:
                return
            self.status, self.message, self.trained_at = "training", f"fine-tuning on {total} examples", total
            self._thread = threading.Thread(target=self._train, args=(total,), daemon=True)
            self._thread.start()

    def _train(self, total: int) -> None:
        tmp = self.out.with_name(f".{self.out.name}.{os.getpid()}.part.safetensors")
        command = [sys.executable, "-m", "digitlab", "train", "--finetune", self.base_model or "default",
                   "--feedback", self.store, "--out", str(tmp), "--verbose", "0", *self.extra_args]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
            if done.returncode != 0:
                raise RuntimeError((done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1])
            self.swap(tmp)            # load and check it before it takes the personal model's name
            os.replace(tmp, self.out)
            status, message = "ready", f"personal model fine-tuned on {total} examples: " + " / ".join(
                " ".join(line.split()) for line in done.stdout.strip().splitlines()[1:])
        except Exception as e:  # whatever went wrong, the serving model is untouched
            status, message = "failed", str(e).removeprefix("digitlab: error: ")
        finally:
            tmp.unlink(missing_ok=True)
        with self._lock:
            self.status, self.message = status, message
            self.trainings += 1

    def wait(self, timeout: float | None = None) -> None:
        """Until the fine-tune in progress (if any) ends; for tests and shutdown."""
        if self._thread is not None:
            self._thread.join(timeout)

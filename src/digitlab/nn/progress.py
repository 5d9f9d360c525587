"""Keras-style training progress: a tqdm bar on a terminal, tqdm's notebook widget in Jupyter,
plain lines otherwise (a log file or a notebook without ipywidgets never gets a wall of ``\r``).

    Epoch 1/5
    469/469 [==============================] - 1s 2ms/step - loss: 0.2556 - accuracy: 0.9265
"""

from __future__ import annotations

import shutil
import sys
import time


def in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython's ZMQ shell: Jupyter, JupyterLab, Colab, VS Code)."""
    shell = sys.modules.get("IPython")
    try:
        ip = shell.get_ipython() if shell else None
    except AttributeError:
        return False
    return (ip is not None and "ZMQ" in type(ip).__name__) or "google.colab" in sys.modules


def notebook_bar(total: int, description: str):
    """tqdm's widget bar (one live bar per epoch, updated in place), or None when ipywidgets is missing."""
    try:
        import ipywidgets  # noqa: F401  tqdm.notebook needs it to draw; without it tqdm prints text
        from tqdm.notebook import tqdm as tqdm_notebook
    except ImportError:
        return None
    return tqdm_notebook(total=total, desc=description, leave=False, mininterval=0.2)


def format_logs(logs: dict) -> str:
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())


def _format_duration(seconds: float, steps: int) -> str:
    per_step = seconds / max(steps, 1)
    unit = f"{per_step * 1e3:.0f}ms/step" if per_step >= 1e-3 else f"{per_step * 1e6:.0f}us/step"
    return f"{seconds:.0f}s {unit}"


def final_line(steps: int, seconds: float, logs: dict) -> str:
    """``469/469 [==============================] - 1s 2ms/step - loss: 0.2556 - accuracy: 0.9265``"""
    return f"{steps}/{steps} [{'=' * 30}] - {_format_duration(seconds, steps)} - {format_logs(logs)}"


class EpochProgress:
    """Reports one epoch. verbose 1: a live bar if ``stream`` is a terminal or in a Jupyter notebook
    with ipywidgets (removed at the end of the epoch), and always one plain line at the end of the
    epoch; verbose 2: that line only; verbose 0: nothing."""

    def __init__(self, epoch: int, epochs: int, steps: int, verbose: int = 1, stream=None):
        self.steps, self.verbose = steps, verbose
        self.stream = stream or sys.stdout
        self.start = time.perf_counter()
        self.bar = None
        if verbose:
            print(f"Epoch {epoch + 1}/{epochs}", file=self.stream, flush=True)
        if verbose == 1 and stream is None and in_notebook():
            self.bar = notebook_bar(steps, f"Epoch {epoch + 1}/{epochs}")
        elif verbose == 1 and getattr(self.stream, "isatty", lambda: False)():
            from tqdm import tqdm

            size = shutil.get_terminal_size()  # falls back to 80x24 where a terminal reports 0x0
            self.bar = tqdm(total=steps, file=self.stream, ascii=".=", leave=False, mininterval=0.1,
                            ncols=size.columns, nrows=size.lines,
                            bar_format="{n_fmt}/{total_fmt} [{bar:30}] - {elapsed} {postfix}")

    def update(self, step: int, sums: dict, seen: int) -> None:
        """Called after batch ``step`` (1-based) with per-sample sums over ``seen`` samples so far."""
        if self.bar is not None:
            self.bar.update(step - self.bar.n)
            if step == self.steps or step % 10 == 0:
                self.bar.set_postfix_str(format_logs({k: v / seen for k, v in sums.items()}), refresh=False)

    def close(self, logs: dict) -> None:
        if not self.verbose:
            return
        line = final_line(self.steps, time.perf_counter() - self.start, logs)
        if self.bar is not None:
            self.bar.close()  # erases the live bar; the full final line replaces it
        print(line, file=self.stream, flush=True)

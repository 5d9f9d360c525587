"""What a ``digitlab.keras`` module says when asked for a Keras name digitlab does not implement."""

from __future__ import annotations

from typing import Callable, Iterable

from ..errors import DigitlabError


class NotInDigitlab(DigitlabError, ImportError):
    """A Keras name that digitlab does not implement.

    An ImportError rather than an AttributeError, so that ``from digitlab.keras.layers import LSTM``
    shows this message instead of Python's bare "cannot import name".
    """


def module_getattr(module: str, offered: Iterable[str]) -> Callable[[str], object]:
    """A module-level ``__getattr__`` that names what ``module`` offers instead."""
    offered = sorted(offered)

    def __getattr__(name: str):
        if name.startswith("_"):  # dunders and private names behave as on any module
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        raise NotInDigitlab(f"{module}.{name}: digitlab does not implement this part of Keras; "
                            f"{module} offers {', '.join(offered)}")

    return __getattr__

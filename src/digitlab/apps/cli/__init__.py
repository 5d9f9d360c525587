"""The ``digitlab`` command: one sub-command per module in this package.

Each command module has ``add_parser(subparsers)`` and ``run(args) -> int``.
Expected failures (DigitlabError and OS errors on the user's files) become one
line on stderr and exit code 1; Ctrl-C exits with 130.
"""

from __future__ import annotations

import argparse
import sys

from ... import __version__
from ...errors import DigitlabError
from . import data, evaluate, feedback, plot, predict, reproduce, serve, show, train

COMMANDS = (data, show, train, evaluate, predict, plot, reproduce, serve, feedback)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="digitlab", description="Handwritten digit recognition on MNIST, offline.")
    parser.add_argument("--version", action="version", version=f"digitlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except DigitlabError as e:
        print(f"digitlab: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        print(f"digitlab: error: {where}{e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("digitlab: interrupted", file=sys.stderr)
        return 130

"""The ``digitlab`` command: one sub-command per module in this package.

Each command module has ``add_parser(subparsers)`` and ``run(args) -> int``; ``run``
checks its inputs, output paths and options (``checks``) before any long work.
Usage errors (an unknown option, a bad value: ``checks.UsageError``) print the
sub-command's usage and exit 2; other expected failures (DigitlabError and OS
errors on the user's files) become one line on stderr and exit code 1; Ctrl-C
exits with 130.

Help, usage and error lines are in the user's language (``$LANG`` and friends; ``i18n``): the
parser's texts are translated here, and each error line by ``i18n.error_line``, by message id, in one place.
"""

from __future__ import annotations

import argparse
import sys

from ... import __version__
from ...errors import DigitlabError
from .. import i18n
from ..i18n import error_line
from . import data, evaluate, feedback, plot, predict, reproduce, serve, show, train
from .checks import UsageError

COMMANDS = (data, show, train, evaluate, predict, plot, reproduce, serve, feedback)


def build_parser(translated: bool = True) -> argparse.ArgumentParser:
    """The whole command line; its help texts in the environment's language unless ``translated=False``."""
    parser = argparse.ArgumentParser(prog="digitlab", description="Handwritten digit recognition on MNIST, offline.")
    parser.add_argument("--version", action="version", version=f"digitlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.add_parser(sub)
    if translated:
        i18n.translate_parser(parser, i18n.from_environment())
    return parser


def chosen_parser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The innermost sub-command parser that ``args`` went through ("digitlab data info", say)."""
    while True:
        actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        name = getattr(args, actions[0].dest, None) if actions else None
        if name not in (actions[0].choices if actions else {}):
            return parser
        parser = actions[0].choices[name]


def usage_error(parser: argparse.ArgumentParser, message: str) -> int:
    """What argparse does for a usage error (usage, then one line, status 2), without exiting."""
    parser.print_usage(sys.stderr)
    print(error_line(parser.prog, message), file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    with i18n.argparse_in(i18n.from_environment()):
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    command = chosen_parser(parser, args)
    if unknown:  # argparse would name them with the top-level usage; the sub-command's is the useful one
        return usage_error(command, f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return args.run(args)
    except UsageError as e:
        return usage_error(command, str(e))
    except DigitlabError as e:
        print(error_line("digitlab", str(e)), file=sys.stderr)
        return 1
    except OSError as e:
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        print(error_line("digitlab", f"{where}{e.strerror or e}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(i18n.translate("digitlab: interrupted"), file=sys.stderr)
        return 130

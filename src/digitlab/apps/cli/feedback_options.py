"""``digitlab serve``'s feedback options: where the examples go (--db) and the personal model (--learn)."""

from __future__ import annotations

import argparse
import os

from ...errors import DigitlabError
from ...feedback import open_store, store


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="PATH|URL", help="where the page's feedback is stored: a SQLite file or a "
                                                    "postgresql:// URL (default: feedback.sqlite3 in your data "
                                                    "directory, $XDG_DATA_HOME/digitlab or ~/.local/share/digitlab)")
    p.add_argument("--learn", type=int, nargs="?", const=20, metavar="N",
                   help="fine-tune a personal model in the background after every N new examples (default N: "
                        "20) and serve it once it is ready")


def apply(args: argparse.Namespace) -> None:
    """Check the options now (one-line errors), and hand them to the app's workers through the environment."""
    if args.learn is not None and args.learn < 1:
        raise DigitlabError(f"--learn {args.learn}: expected at least 1 example between fine-tunes")
    if args.learn and args.workers > 1:
        raise DigitlabError("--learn trains one personal model per server process; use it with --workers 1")
    where = args.db if args.db is None or store.is_url(args.db) else os.path.abspath(args.db)
    open_store(where).close()  # a bad path or an unreachable server fails here, before serving
    if where:
        os.environ["DIGITLAB_FEEDBACK_DB"] = where
    if args.learn:
        os.environ["DIGITLAB_LEARN"] = str(args.learn)

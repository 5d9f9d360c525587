"""``digitlab feedback``: the examples users labelled on the web page: stats, list, export (IDX), delete."""

from __future__ import annotations

import argparse
import json

from ...errors import DigitlabError
from ...feedback import export, open_store


def add_db_argument(p: argparse.ArgumentParser, default=None) -> None:
    p.add_argument("--db", metavar="PATH|URL", default=default,
                   help="the feedback store: a SQLite file or a postgresql:// URL (default: feedback.sqlite3 in your data directory, $XDG_DATA_HOME/digitlab or ~/.local/share/digitlab)")


def add_parser(sub) -> None:
    p = sub.add_parser("feedback", help="the digits you labelled on the web page: stats, list, export, delete",
                       description="Examples labelled on the web page (corrections and confirmations), kept on this "
                                   "machine in a SQLite file (or a PostgreSQL database given as a URL).")
    add_db_argument(p)
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    stats = actions.add_parser("stats", help="how many examples each digit has")
    lister = actions.add_parser("list", help="one line per example (or JSON)")
    lister.add_argument("--label", type=int, choices=range(10), metavar="D", help="only the examples of digit D")
    lister.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    exporter = actions.add_parser("export", help="write the examples as IDX files (MNIST's format)")
    exporter.add_argument("--out", required=True, help="directory for feedback-{images-idx3,labels-idx1}-ubyte")
    deleter = actions.add_parser("delete", help="delete examples by id, or all of them")
    which = deleter.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", type=int, nargs="+", metavar="ID", help="ids as `feedback list` shows them")
    which.add_argument("--all", action="store_true", help="every example in the store")
    for action in (stats, lister, exporter, deleter):  # --db before or after the action
        add_db_argument(action, default=argparse.SUPPRESS)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    with open_store(args.db) as store:
        if args.action == "stats":
            counts = store.counts()
            print(f"store: {store.where} (schema version {store.version()})")
            print("digit    " + " ".join(f"{d:>5}" for d in range(10)) + "   total")
            print("examples " + " ".join(f"{c:>5}" for c in counts) + f"   {sum(counts):>5}")
        elif args.action == "list":
            for e in store.examples(label=args.label):
                if args.json:
                    print(json.dumps({"id": e.id, "created_at": e.created_at, "label": e.true_label,
                                      "predicted": e.predicted_label, "model_sha256": e.model_sha256,
                                      "image_type": e.image_type}))
                else:
                    predicted = "-" if e.predicted_label is None else e.predicted_label
                    print(f"{e.id:>6}  {e.created_at}  label {e.true_label}  read as {predicted}  "
                          f"model {(e.model_sha256 or '-')[:12]}")
        elif args.action == "export":
            images, labels, n = export.export_idx(store, args.out)
            print(f"wrote {n} examples: {images} and {labels}")
        elif args.action == "delete":
            gone = store.delete(None if args.all else args.id)
            if not args.all and gone < len(set(args.id)):
                raise DigitlabError(f"deleted {gone} of {len(set(args.id))} examples; the other ids are not in "
                                    f"{store.where}")
            print(f"deleted {gone} example(s) from {store.where}")
    return 0

"""``digitlab reproduce``: run the tutorials' systems and print their numbers beside ours."""

from __future__ import annotations

import sys
from pathlib import Path

from ...tutorials import reproduce
from ...tutorials.legacy_pickle import book_network, load_pickled_weights
from . import checks


def add_parser(sub) -> None:
    p = sub.add_parser("reproduce", help="run the tutorials' systems and the convnets; print and save a results table",
                       description="Run each tutorial's system as the tutorial does; print the seed's number, the "
                                   "book's where it differs, ours and the time; write the table as JSON.")
    p.add_argument("systems", nargs="*", default=["all"], metavar="SYSTEM",
                   help=f"{', '.join(reproduce.SYSTEMS)} or all (default: all)")
    p.add_argument("--quick", action="store_true", help="CI-sized runs (each row says how it was shortened)")
    p.add_argument("--weights", metavar="PATH", action="append",
                   help="your own copies of the book's pickled weights: sample_weight.pkl (dlfs-pretrained), "
                        "simple_convnet_params.pkl and deep_convnet_params.pkl (dlfs-convnets), or a directory "
                        "holding them; may be repeated (default: the copies shipped with digitlab)")
    p.add_argument("--gradient", choices=("backprop", "numerical"), default="backprop",
                   help="how two-layer-net computes its gradients (default: backprop)")
    p.add_argument("--iters", type=int, metavar="N",
                   help="two-layer-net iterations (default: 10,000 with backprop, 20 numerical; quick 1,000 / 3)")
    p.add_argument("--seeds", type=int, default=1, metavar="N",
                   help="train the Keras presets with seeds 0..N-1 and report the spread (default: 1)")
    p.add_argument("--json", default="reproduce.json", metavar="PATH",
                   help="the table to write; rows of systems not run now are kept from an earlier run "
                        "(default: %(default)s)")
    p.set_defaults(run=run)


def run(args) -> int:
    checks.at_least(args.iters, 1, "--iters")
    checks.at_least(args.seeds, 1, "--seeds")
    unknown = [name for name in args.systems if name != "all" and name not in reproduce.SYSTEMS]
    if unknown:
        raise checks.UsageError(f"unknown system {unknown[0]!r} (expected one of: {', '.join(reproduce.SYSTEMS)}, all)")
    checks.output_file(args.json, "reproduce table (.json)")
    reproduce.read_json(args.json)  # a file there that is not a table is refused now, not after the runs
    for given in args.weights or []:  # the user's own copies: read and checked before anything trains
        if Path(given).is_dir():
            continue  # each row takes its file from it, or the shipped copy
        path = checks.input_file(given, "pickle of the book's weights (.pkl), or a directory of them")
        weights = load_pickled_weights(path)
        if path.name not in ("simple_convnet_params.pkl", "deep_convnet_params.pkl"):
            book_network(weights, str(path))  # taken for sample_weight.pkl: it must fit that network
    results = reproduce.run(args.systems, quick=args.quick, log=lambda line: print(line, file=sys.stderr),
                            weights=args.weights, gradient=args.gradient, iters=args.iters, seeds=args.seeds)
    print(reproduce.format_table(results))
    doc = reproduce.write_json(results, args.json, args.quick)
    kept = len(doc["results"]) - len(results)
    rows = f"{len(results)} row{'' if len(results) == 1 else 's'}"
    print(f"\nwritten: {args.json}" + (f" ({rows} from this run, {kept} kept from earlier runs)" if kept else ""))
    return 0

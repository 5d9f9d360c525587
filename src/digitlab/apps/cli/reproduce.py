"""``digitlab reproduce``: run the tutorials' systems and print their numbers beside ours."""

from __future__ import annotations

import sys

from ...tutorials import reproduce


def add_parser(sub) -> None:
    p = sub.add_parser("reproduce", help="run the tutorials' systems and the convnets; print and save a results table",
                       description="Run each tutorial's system as the tutorial does; print the seed's number, the "
                                   "book's where it differs, ours and the time; write the table as JSON.")
    p.add_argument("systems", nargs="*", default=["all"], metavar="SYSTEM",
                   help=f"{', '.join(reproduce.SYSTEMS)} or all (default: all)")
    p.add_argument("--quick", action="store_true", help="CI-sized runs (each row says how it was shortened)")
    p.add_argument("--weights", metavar="PATH", action="append",
                   help="the book's pickled weights: sample_weight.pkl (dlfs-pretrained), simple_convnet_params.pkl "
                        "and deep_convnet_params.pkl (dlfs-convnets), or a directory holding them; may be repeated")
    p.add_argument("--gradient", choices=("backprop", "numerical"), default="backprop",
                   help="how two-layer-net computes its gradients (default: backprop)")
    p.add_argument("--iters", type=int, metavar="N",
                   help="two-layer-net iterations (default: 10,000 with backprop, 20 numerical; quick 1,000 / 3)")
    p.add_argument("--seeds", type=int, default=1, metavar="N",
                   help="train the Keras presets with seeds 0..N-1 and report the spread (default: 1)")
    p.add_argument("--json", default="reproduce.json", metavar="PATH", help="where to write the table (default: %(default)s)")
    p.set_defaults(run=run)


def run(args) -> int:
    if args.iters is not None and args.iters < 1 or args.seeds < 1:
        print("digitlab: error: --iters and --seeds must be at least 1", file=sys.stderr)
        return 2
    results = reproduce.run(args.systems, quick=args.quick, log=lambda line: print(line, file=sys.stderr),
                            weights=args.weights, gradient=args.gradient, iters=args.iters, seeds=args.seeds)
    print(reproduce.format_table(results))
    reproduce.write_json(results, args.json, args.quick)
    print(f"\nwritten: {args.json}")
    return 0

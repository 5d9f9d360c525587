"""``digitlab serve``: the drawing page and the JSON API, under uvicorn."""

from __future__ import annotations

import argparse
import os

from . import feedback_options


def add_parser(sub) -> None:
    p = sub.add_parser("serve", help="serve a page to draw digits on, and a JSON API (FastAPI + uvicorn)",
                       description="Serve the drawing page at / and the API at /api/predict (docs at /docs).")
    p.add_argument("--model", help="a model file (default: the model shipped with digitlab)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    p.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    p.add_argument("--workers", type=int, default=1, help="server processes, each with the model loaded once "
                                                          "(default: 1)")
    feedback_options.add_arguments(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .checks import UsageError, at_least

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: expected 0 to 65535")
    at_least(args.workers, 1, "--workers")
    import uvicorn

    from ...vision import predict

    predict.load(args.model)  # a missing or foreign model is a one-line error now, not in a worker later
    if args.model:
        os.environ["DIGITLAB_MODEL"] = os.path.abspath(args.model)
    feedback_options.apply(args)
    print(f"digitlab: serving on http://{args.host}:{args.port}/ (API docs at /docs); Ctrl-C stops")
    uvicorn.run("digitlab.apps.web.app:create_app", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level="warning")
    return 0

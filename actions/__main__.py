"""Runs the action server, on 127.0.0.1 unless --host (ACTION_HOST) says otherwise: rasa-sdk's
own CLI listens on every address. In compose and Helm, Rasa runs in another container, so
there it listens on the private network (--host 0.0.0.0)."""

from __future__ import annotations

import argparse
import os


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m actions", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTION_PORT", "5055")))
    parser.add_argument("--host", default=os.environ.get("ACTION_HOST", "127.0.0.1"))
    args = parser.parse_args(argv)
    os.environ["SANIC_HOST"] = args.host
    from rasa_sdk import endpoint, utils
    from rasa_sdk.executor import ActionExecutor

    from actions.metrics import instrument, serve_metrics
    from bot.logs import configure_logging

    configure_logging()
    app = endpoint.create_app("actions")
    metrics_port = int(os.environ.get("ACTION_METRICS_PORT", "0") or 0)
    if metrics_port:
        registered = ActionExecutor()
        registered.register_package("actions")
        instrument(app, registered.actions.keys())
        serve_metrics(os.environ.get("ACTION_METRICS_HOST", "127.0.0.1"), metrics_port)
    app.run(args.host, args.port, workers=utils.number_of_sanic_workers())


if __name__ == "__main__":
    main()

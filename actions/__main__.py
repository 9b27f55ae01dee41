"""Runs the action server on 127.0.0.1 only (rasa-sdk's own CLI listens on every address)."""

from __future__ import annotations

import argparse
import os


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m actions", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTION_PORT", "5055")))
    args = parser.parse_args(argv)
    os.environ["SANIC_HOST"] = "127.0.0.1"
    from rasa_sdk import endpoint

    from bot.logs import configure_logging

    configure_logging()

    endpoint.run("actions", port=args.port)


if __name__ == "__main__":
    main()

"""The action server's own Prometheus metrics (issue 13): how long each action call took, per
action and HTTP status, served on ACTION_METRICS_HOST:ACTION_METRICS_PORT (off when the port
is 0, never on the action server's own port). Labels are action names from a closed set (the
actions this package registers; anything else is "other") and status codes: nothing
personal, and a tracker's content is never read."""

from __future__ import annotations

import json
import logging
import time
import zlib
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Histogram, start_http_server
from sanic import Sanic
from sanic.request import Request
from sanic.response import BaseHTTPResponse

log = logging.getLogger("wegwijs.actions.metrics")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
OTHER = "other"

REGISTRY = CollectorRegistry(auto_describe=True)
ACTION_SECONDS = Histogram(
    "wegwijs_action_duration_seconds",
    "Time the action server took to run one action call from Rasa, per action and status.",
    ("action", "status"),
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)


def action_of(request: Request, known: frozenset[str]) -> str:
    """The called action's name if it is one of ours (the body may be deflate-compressed)."""
    try:
        body = request.body
        if request.headers.get("Content-Encoding") == "deflate":
            body = zlib.decompress(body)
        name = json.loads(body or b"{}").get("next_action")
    except (ValueError, zlib.error, AttributeError):
        return OTHER
    return name if isinstance(name, str) and name in known else OTHER


def instrument(app: Sanic, actions: Iterable[str]) -> None:
    """Times every POST /webhook; the name is read before the action runs."""
    known = frozenset(actions)

    async def started(request: Request) -> None:
        if request.path == "/webhook":
            request.ctx.metrics = (time.perf_counter(), action_of(request, known))

    async def finished(request: Request, response: BaseHTTPResponse) -> None:
        began = getattr(request.ctx, "metrics", None)
        if began is not None:
            seconds = time.perf_counter() - began[0]
            ACTION_SECONDS.labels(action=began[1], status=str(response.status)).observe(seconds)

    app.register_middleware(started, "request")
    app.register_middleware(finished, "response")


def serve_metrics(host: str, port: int) -> None:
    """The scrape endpoint in a thread of the action server (prometheus-client's server)."""
    start_http_server(port, addr=host, registry=REGISTRY)
    log.info("action server metrics on http://%s:%s/metrics", host, port)

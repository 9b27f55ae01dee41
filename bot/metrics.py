"""Prometheus metrics for operators, served on METRICS_HOST:METRICS_PORT (never the public port).

What the gateway counts as it works lives here: request latency per route (the route's
template, never the raw path: a path holds conversation tokens), answers per outcome and
language (bot.turns.outcome_of) and the time Rasa takes. What the database knows (tickets
waiting, the outbox, failed deliveries) is read at scrape time (bot/metrics_db.py). No label
holds anything personal: routes are templates, outcomes and languages are closed sets.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import get_args
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.registry import Collector

from bot.turns import Outcome, Turn, outcome_of

log = logging.getLogger("wegwijs.metrics")

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
UNMATCHED_ROUTE = "unmatched"  # a 404's path is whatever the client sent: never a label

REGISTRY = CollectorRegistry(auto_describe=True)

REQUEST_SECONDS = Histogram(
    "wegwijs_http_request_duration_seconds",
    "Time the gateway took to answer a request, per route template, method and status.",
    ("route", "method", "status"),
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
ANSWERS = Counter(
    "wegwijs_answers",
    "Typed messages answered, per outcome (answered, asked, fallback, escalated, crisis).",
    ("outcome", "language"),
    registry=REGISTRY,
)
RASA_SECONDS = Histogram(
    "wegwijs_rasa_request_duration_seconds",
    "Time Rasa's REST channel took to answer one message (its action calls included).",
    ("result",),
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(route=route, method=method, status=str(status)).observe(seconds)


def count_answer(turn: Turn) -> None:
    """One typed message and what it came to (the same outcome the editors' pages use)."""
    ANSWERS.labels(outcome=outcome_of(turn), language=turn.language).inc()


def observe_rasa(seconds: float, *, ok: bool) -> None:
    RASA_SECONDS.labels(result="ok" if ok else "error").observe(seconds)


def preset_label_sets() -> None:
    """Every outcome appears from the start (at 0), so a dashboard's rate() has a series."""
    for outcome in get_args(Outcome):
        for language in ("uk", "en", "nl"):
            ANSWERS.labels(outcome=outcome, language=language)


@dataclass
class MetricsServer:
    """The scrape endpoint, in a thread of the gateway (prometheus-client's WSGI server)."""

    server: WSGIServer
    thread: threading.Thread
    collector: Collector | None
    registry: CollectorRegistry = REGISTRY

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        if self.collector is not None:
            self.registry.unregister(self.collector)
            close = getattr(self.collector, "close", None)
            if callable(close):
                close()


def start_metrics_server(host: str, port: int, *, collector: Collector | None) -> MetricsServer:
    """Serves /metrics (any path, as prometheus-client does) on host:port until stopped."""
    preset_label_sets()
    if collector is not None:
        REGISTRY.register(collector)
    server, thread = start_http_server(port, addr=host, registry=REGISTRY)
    log.info("metrics served", extra={"host": host, "port": port})
    return MetricsServer(server=server, thread=thread, collector=collector)

"""The gateway's metrics wiring: the latency middleware and the scrape server's start."""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI, Request, Response

from bot.config import Settings
from bot.metrics import (
    UNMATCHED_ROUTE,
    MetricsServer,
    observe_request,
    preset_label_sets,
    start_metrics_server,
)
from bot.metrics_db import DatabaseCollector
from bot.metrics_multiprocess import workers_share_metrics

log = logging.getLogger("wegwijs.metrics")


def route_template(request: Request) -> str:
    """The matched route's template ("/api/conversations/{token}/messages"), never the path."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED_ROUTE


def observe_routes(app: FastAPI) -> None:
    @app.middleware("http")
    async def time_each_request(request: Request, call_next):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        status = 500
        try:
            response: Response = await call_next(request)
            status = response.status_code
            return response
        finally:
            observe_request(
                route_template(request), request.method, status, time.perf_counter() - started
            )


def start_metrics(settings: Settings) -> MetricsServer | None:
    """The scrape server when METRICS_PORT is set; None when metrics are off."""
    if not settings.metrics_port:
        return None
    if settings.gateway_workers > 1:
        if workers_share_metrics():  # the supervisor serves them (bot/metrics_multiprocess.py)
            preset_label_sets()
        else:
            log.warning(
                "metrics off: with GATEWAY_WORKERS > 1 start the gateway with `wegwijs serve`, "
                "which serves every worker's counts"
            )
        return None
    collector = DatabaseCollector(settings.effective_database_url)
    return start_metrics_server(settings.metrics_host, settings.metrics_port, collector=collector)

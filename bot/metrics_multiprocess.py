"""Metrics with several gateway workers (GATEWAY_WORKERS > 1): one /metrics for all of them.

Each uvicorn worker is a process of its own with its own counters. prometheus-client's
multiprocess mode has every worker write its counts to files in one directory
(PROMETHEUS_MULTIPROC_DIR, read by prometheus-client when it is imported, so it is set before
uvicorn starts the workers), and the supervisor process, which answers no requests, serves
/metrics from the sum of those files, with the database gauges beside them.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

from bot.config import Settings
from bot.metrics import MetricsServer
from bot.metrics_db import DatabaseCollector

log = logging.getLogger("wegwijs.metrics")

DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def workers_share_metrics() -> bool:
    """True in a worker whose counts go to the shared directory."""
    return bool(os.environ.get(DIRECTORY_VARIABLE))


def fresh_directory(settings: Settings) -> Path:
    """An empty directory for this run's counts: files of an earlier run would add to them."""
    directory = settings.var_dir / "metrics-workers"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return directory


def start_supervisor_metrics(settings: Settings) -> MetricsServer:
    """Serves the workers' summed counts and the database gauges on METRICS_HOST:METRICS_PORT.

    Sets PROMETHEUS_MULTIPROC_DIR for the workers this process will start."""
    directory = fresh_directory(settings)
    os.environ[DIRECTORY_VARIABLE] = str(directory)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    collector = DatabaseCollector(settings.effective_database_url)
    registry.register(collector)
    server, thread = start_http_server(
        settings.metrics_port, addr=settings.metrics_host, registry=registry
    )
    log.info(
        "metrics served for all workers",
        extra={"port": settings.metrics_port, "workers": settings.gateway_workers},
    )
    return MetricsServer(server=server, thread=thread, collector=collector, registry=registry)

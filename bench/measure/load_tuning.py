"""Tuning: the same load on variants of the stack (Rasa or gateway workers, PostgreSQL, Redis),
one after another, in one table."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from bench.measure.load import run_load_benchmark
from bench.measure.load_levels import LoadReport
from bench.measure.load_report import cpu_ms_per_message, row

BENCH_REDIS = "redis://127.0.0.1:6379/3"
VARIANTS: dict[str, tuple[str, dict[str, str], dict[str, Any]]] = {
    # name: (what changes, extra environment, settings)
    "baseline": ("one of each process, SQLite (the `make run` default)", {}, {}),
    "rasa-unpatched": (
        "without rasa_runtime/ (Rasa checks action answers with a new validator each time)",
        {"WEGWIJS_RASA_SPEEDUPS": "0"},
        {},
    ),
    "postgres": ("app database and tracker store in PostgreSQL", {}, {}),
    "rasa-2-workers": (
        "Rasa with 2 Sanic workers (needs the Redis lock store)",
        {"SANIC_WORKERS": "2"},
        {"redis_url": BENCH_REDIS},
    ),
    "gateway-2-workers": (
        "gateway with 2 uvicorn workers (Redis for shared limits and keys)",
        {},
        {"redis_url": BENCH_REDIS, "gateway_workers": 2},
    ),
    "redis-shared-state": (
        "one of each, with Redis (lock store, rate limits, idempotency keys)",
        {},
        {"redis_url": BENCH_REDIS},
    ),
}


def bench_postgres() -> str:
    """A new database on the local PostgreSQL (trust auth, as on the machines here)."""
    import psycopg

    admin = os.environ.get(
        "WEGWIJS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    name = f"wegwijs_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{admin.rsplit('/', 1)[0]}/{name}"


def run_tuning(
    *, out_dir: Path, variants: list[str], levels: tuple[int, ...], seconds: float
) -> list[LoadReport]:
    reports = []
    for name in variants:
        _what, environment, update = VARIANTS[name]
        database_url = bench_postgres() if name == "postgres" else ""
        reports.append(
            run_load_benchmark(
                out_dir=out_dir,
                levels=levels,
                seconds=seconds,
                variant=name,
                database_url=database_url,
                environment=environment,
                settings_update=update,
                with_direct=False,
                with_reading=False,
                with_profile=False,
                chart=False,
                out_name=f"tuning-{name}.json",
            )
        )
        if database_url:
            drop_postgres(database_url)
    return reports


def drop_postgres(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def format_tuning(reports: list[LoadReport]) -> str:
    lines = [
        "# Tuning",
        "",
        "The same load (no pause between turns) on variants of the stack, one after another "
        f"({reports[0].seconds_per_level:.0f} s per level after a warm-up). Load average when "
        "each started: "
        + ", ".join(f"`{r.variant}` {r.load_average[0]:.1f}" for r in reports)
        + ". CPU per request (each process's CPU time over the requests answered) is the "
        "steadier figure when other programs share the machine.",
        "",
        row(
            "variant",
            "what changes",
            "users",
            "msg/s",
            "p50 ms",
            "p95 ms",
            "errors",
            "CPU ms per request: rasa / gateway / actions",
            "RSS peak, all MB",
        ),
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for report in reports:
        for level in report.levels:
            cpu = cpu_ms_per_message(level)
            lines.append(
                row(
                    f"`{report.variant}`",
                    VARIANTS[report.variant][0],
                    level.users,
                    f"{level.messages_per_s:.1f}",
                    f"{level.p50_ms:.0f}",
                    f"{level.p95_ms:.0f}",
                    level.errors,
                    " / ".join(f"{cpu.get(n, 0):.0f}" for n in ("rasa", "gateway", "actions")),
                    f"{sum(level.rss_peak_mb.values()):.0f}",
                )
            )
    return "\n".join(lines)

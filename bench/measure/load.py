"""The load benchmark: Locust drives three-language conversations through the gateway's web
API (bench/load/locustfile.py) at several numbers of concurrent users, on 127.0.0.1 only.

For each level: p50/p95/p99 latency, messages per second, errors (a request not answered
with at least one message counts), the Server-Timing split (gateway's own time / waiting for
Rasa), and the CPU and memory of every process. Then where Rasa's time goes: Rasa's NLU alone
(/model/parse on a second Rasa started with --enable-api) against a whole turn sent straight
to Rasa's REST webhook, and a py-spy CPU profile of every process at 20 users.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.measure.load_direct import time_rasa_directly
from bench.measure.load_levels import (
    LEVELS,
    PROFILE_USERS,
    READING_PAUSE,
    READING_USERS,
    LoadReport,
    ensure_load_env,
    run_locust,
    summarize,
)
from bench.measure.load_profile import profile
from bench.measure.load_report import latency_png
from bench.measure.procstat import Sampler
from bot.config import PROJECT_ROOT, Settings
from bot.stack import Stack, stack_settings


def run_load_benchmark(
    *,
    out_dir: Path,
    levels: tuple[int, ...] = LEVELS,
    seconds: float = 60.0,
    warmup: float = 5.0,
    database_url: str = "",
    variant: str = "baseline",
    environment: dict[str, str] | None = None,
    settings_update: dict[str, Any] | None = None,
    with_direct: bool = True,
    with_profile: bool = True,
    with_reading: bool = True,
    chart: bool = True,
    out_name: str = "load-baseline.json",
) -> LoadReport:
    ensure_load_env()
    out_dir.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="wegwijs-load-"))
    (run_dir / "var").mkdir()
    settings: Settings = stack_settings(run_dir / "var", database_url=database_url)
    if settings_update:
        settings = settings.model_copy(update=settings_update)
    stack = Stack(settings, environment=dict(environment or {}))
    print(f"Starting a stack ({variant})...", file=sys.stderr)
    stack.start()
    report = LoadReport(
        levels=[],
        variant=variant,
        environment=dict(environment or {}),
        database="PostgreSQL" if database_url else "SQLite",
        seconds_per_level=seconds,
        load_average=os.getloadavg(),
    )
    try:
        roots = {name: process.pid for name, process in stack.processes.items()}
        with Sampler(roots) as rest:
            time.sleep(1.0)
        report.rss_at_rest_mb = {name: u.rss_last_mb for name, u in rest.usage.items()}
        print("Warming up (10 users, 5 s)...", file=sys.stderr)
        run_locust(stack.url, users=10, seconds=5, out=run_dir)
        for users in levels:
            print(f"{users} users for {seconds:.0f} s...", file=sys.stderr)
            with Sampler(roots) as sampler:
                samples = run_locust(stack.url, users=users, seconds=seconds + warmup, out=run_dir)
            level = summarize(users, samples, warmup=warmup)
            level.cpu_percent = {
                name: 100.0 * u.cpu_seconds / sampler.wall_seconds
                for name, u in sampler.usage.items()
            }
            level.rss_peak_mb = {name: u.rss_peak_mb for name, u in sampler.usage.items()}
            level.runqueue_percent = {
                name: 100.0 * u.runqueue_seconds / sampler.wall_seconds
                for name, u in sampler.usage.items()
            }
            report.levels.append(level)
            print(
                f"  p50 {level.p50_ms:.0f} ms, p95 {level.p95_ms:.0f} ms, "
                f"{level.messages_per_s:.1f} msg/s, {level.errors} errors",
                file=sys.stderr,
            )
        if with_reading:
            print(f"{READING_USERS} users reading between turns...", file=sys.stderr)
            samples = run_locust(
                stack.url,
                users=READING_USERS,
                seconds=max(seconds, 30.0) + warmup,
                out=run_dir,
                pause=READING_PAUSE,
            )
            reading = summarize(READING_USERS, samples, warmup=warmup)
            reading.pause = READING_PAUSE
            report.reading = reading
        if with_direct:
            print("Timing Rasa directly (NLU alone, whole turn)...", file=sys.stderr)
            report.direct = time_rasa_directly(stack)
        if with_profile:
            print(f"Profiling every process at {PROFILE_USERS} users...", file=sys.stderr)
            report.profile = profile(stack, run_dir, users=PROFILE_USERS, seconds=min(seconds, 20))
    finally:
        stack.stop()
    if chart:
        report.chart = str(
            latency_png(report, PROJECT_ROOT / "docs/load-latency.png").relative_to(PROJECT_ROOT)
        )
    (out_dir / out_name).write_text(json.dumps(asdict(report), indent=2))
    return report

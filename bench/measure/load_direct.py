"""Where a message's time goes, one request at a time: a whole turn through the gateway, the
same question straight to Rasa's REST webhook, and Rasa's NLU alone (/model/parse on a second
Rasa started with --enable-api)."""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import time
import uuid

import httpx

from bench.measure.load_levels import percentile
from bot.config import PROJECT_ROOT
from bot.stack import Stack, free_port


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

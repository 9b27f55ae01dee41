"""Locust: newcomers chatting with the gateway's web API, in Ukrainian, English and Dutch.

Run by `wegwijs bench load` (run_locust in bench/measure/load_levels.py) from the load
environment (.venvs/load), against a gateway on 127.0.0.1 only. Each simulated user holds
one conversation at a time (a new conversation token each time) of 3-6 turns: the greeting
(start), sometimes a hello,
one or two questions from the knowledge base (faq/*/: held-out and training questions, in the
conversation's language), a button press when the bot offered buttons (did this help, did you
mean, a topic), and thanks. With no pause between turns by default (WEGWIJS_LOAD_PAUSE sets
seconds), N users keep N requests in flight: the capacity reading of "N concurrent
conversations".

Every message carries an Idempotency-Key. A request counts as an error unless it is answered
with 2xx and at least one message (so a lost message is an error). Each request's time, its
Server-Timing split (gateway / waiting for Rasa) and its end are written as JSON lines to
WEGWIJS_LOAD_SAMPLES when the run ends.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from pathlib import Path
from typing import Any

import yaml
from locust import FastHttpUser, events, task

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("uk", "en", "nl")
HELLO = {
    "uk": ["привіт", "добрий день", "вітаю"],
    "en": ["hello", "hi there", "good morning"],
    "nl": ["hallo", "goedemiddag", "hoi"],
}
THANKS = {
    "uk": ["дякую", "дякую, це допомогло", "щиро дякую!"],
    "en": ["thank you", "thanks a lot", "thanks, that helps"],
    "nl": ["dank je wel", "bedankt", "bedankt voor de hulp"],
}
PAUSE = float(os.environ.get("WEGWIJS_LOAD_PAUSE", "0"))
SEED = int(os.environ.get("WEGWIJS_LOAD_SEED", "7"))


def load_questions() -> dict[str, list[str]]:
    questions: dict[str, list[str]] = {language: [] for language in LANGUAGES}
    for path in sorted((ROOT / "faq").glob("*/*.yml")):
        if path.parent.name in ("drafts", "local"):  # drafts never answer; layers: not here
            continue
        entry = yaml.safe_load(path.read_text(encoding="utf-8"))
        for field in ("heldout", "questions"):
            for language in LANGUAGES:
                questions[language].extend((entry.get(field) or {}).get(language) or [])
    return questions


QUESTIONS = load_questions()
SAMPLES: list[dict[str, Any]] = []
RANDOM = random.Random(SEED)  # noqa: S311 (reproducible load, not secrets)


@events.request.add_listener
def _record(
    request_type: str,
    name: str,
    response_time: float,
    response_length: int,
    response: Any = None,
    exception: BaseException | None = None,
    **_kwargs: Any,
) -> None:
    timing: dict[str, float] = {}
    header = response.headers.get("server-timing") if response is not None else None
    for part in (header or "").split(","):
        label, _, duration = part.strip().partition(";dur=")
        if duration:
            timing[label] = float(duration)
    SAMPLES.append(
        {
            "name": name,
            "ms": response_time,
            "end": time.time(),
            "ok": exception is None,
            "error": repr(exception) if exception is not None else None,
            "gateway_ms": timing.get("gateway"),
            "rasa_ms": timing.get("rasa"),
        }
    )


@events.quitting.add_listener
def _write(**_kwargs: Any) -> None:
    out = os.environ.get("WEGWIJS_LOAD_SAMPLES")
    if out:
        with open(out, "w", encoding="utf-8") as file:
            for sample in SAMPLES:
                file.write(json.dumps(sample) + "\n")


class Newcomer(FastHttpUser):
    """One conversation after another, each with a new token."""

    connection_timeout = 30.0
    network_timeout = 60.0

    def wait_time(self) -> float:
        return PAUSE

    @task
    def conversation(self) -> None:
        language = RANDOM.choice(LANGUAGES)
        page_hint = RANDOM.choice([language, None])  # the widget's page, or no hint (Telegram-like)
        data = self._post("/api/conversations", {"language": page_hint}, name="start")
        if data is None:
            return
        token = data["conversation"]
        turns = [("text", RANDOM.choice(HELLO[language]))] if RANDOM.random() < 0.4 else []
        turns.append(("text", RANDOM.choice(QUESTIONS[language])))
        turns.append(("button", ""))
        if RANDOM.random() < 0.3:
            turns.append(("text", RANDOM.choice(QUESTIONS[language])))
        turns.append(("text", RANDOM.choice(THANKS[language])))
        for kind, text in turns[:5]:  # with the start: 3 to 6 turns
            self._pause()
            if kind == "button":
                buttons = [b["id"] for m in data["messages"] for b in m["buttons"]]
                if not buttons:
                    continue
                body: dict[str, Any] = {"button": RANDOM.choice(buttons)}
            else:
                body = {"text": text}
            body["language"] = page_hint
            answer = self._post(f"/api/conversations/{token}/messages", body, name=kind)
            if answer is None:
                return
            data = answer

    def _pause(self) -> None:
        if PAUSE:
            time.sleep(RANDOM.uniform(PAUSE / 2, PAUSE * 1.5))

    def _post(self, path: str, body: dict[str, Any], *, name: str) -> dict[str, Any] | None:
        headers = {"Idempotency-Key": uuid.uuid4().hex, "Accept-Language": "nl"}
        with self.client.post(
            path, json=body, headers=headers, name=name, catch_response=True
        ) as response:
            if response.status_code not in (200, 201):
                response.failure(f"HTTP {response.status_code}: {(response.text or '')[:200]}")
                return None
            try:
                data: dict[str, Any] = response.json()
            except ValueError:
                response.failure("not JSON")
                return None
            if not data.get("messages"):
                response.failure("no answer (lost message)")
                return None
            response.success()
            return data

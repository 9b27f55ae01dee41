"""The development set (bench/devset, issue 17) through the real stack.

Each question is asked in a new conversation, with no language hint, through the gateway's web
API (the language decision, the crisis check, Rasa and the action server, as a newcomer meets
them). The same text also goes to Rasa's NLU alone (`/model/parse`, on a second Rasa server
started with `--enable-api`) for the classifier's confidence and ranking, which the plots and
bench/measure/devset_policy.py (answer/ask thresholds replayed offline) read.

Scored per language (uk, en, nl, and ru: questions written in Russian) on the rows an entry
answers: right at once (it answered with an accepted entry), within one click (that, or an
accepted entry among the "did you mean" buttons), wrong (it answered another entry), asked,
fell back. `none` rows are right when it does not answer; `crisis` rows when the crisis reply
comes. The report split is the default; tune on `--split tune` only.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import httpx

from bench.devset import CRISIS, NO_ENTRY, DevQuestion, Split
from bot.config import PROJECT_ROOT, load_settings
from bot.faq.schema import KnowledgeBase
from bot.stack import Stack, free_port

DevOutcome = Literal["answered", "asked", "fallback", "crisis"]
LANGUAGES = ("uk", "en", "nl", "ru")
FAQ_PREFIX = "faq_"


@dataclass(frozen=True)
class DevResult:
    id: str
    language: str
    text: str
    expected: str
    accepted: tuple[str, ...]
    outcome: DevOutcome
    answered: str | None
    offered: tuple[str, ...]
    ranking: tuple[tuple[str, float], ...]  # (entry id, confidence) from /model/parse, best first
    seconds: float

    @property
    def answerable(self) -> bool:
        return self.expected not in (NO_ENTRY, CRISIS)

    @property
    def right_at_once(self) -> bool:
        if self.expected == CRISIS:
            return self.outcome == "crisis"
        if self.expected == NO_ENTRY:
            return self.outcome in ("asked", "fallback")
        return self.answered in self.accepted

    @property
    def within_one_click(self) -> bool:
        return self.right_at_once or (
            self.answerable and bool(set(self.offered) & set(self.accepted))
        )

    @property
    def wrong(self) -> bool:
        """An answer given with confidence that is not one of the accepted entries."""
        if self.expected == CRISIS:
            return self.outcome != "crisis"
        return self.outcome in ("answered", "crisis") and self.answered not in self.accepted

    @property
    def top_confidence(self) -> float:
        return self.ranking[0][1] if self.ranking else 0.0

    @property
    def top_right(self) -> bool:
        return bool(self.ranking) and self.ranking[0][0] in self.accepted


def entry_titles(kb: KnowledgeBase) -> dict[str, str]:
    """Every entry's title in every language -> its id, to read the "did you mean" buttons."""
    return {
        entry.title.get(language): entry.id
        for entry in kb.entries
        for language in ("uk", "en", "nl")
    }


def crisis_replies() -> set[str]:
    from bot.safety.crisis import crisis_reply

    return {crisis_reply(language, root=PROJECT_ROOT) for language in ("uk", "en", "nl")}


def situation_titles() -> set[str]:
    """The situation buttons' titles in every language (texts/buttons.yml)."""
    from bot.faq.situations import SITUATIONS, button_name
    from bot.texts import load_texts

    texts = load_texts(PROJECT_ROOT, load_settings().municipality)
    return {
        texts.button(button_name(situation), language).title
        for situation in SITUATIONS
        for language in ("uk", "en", "nl")
    }


def _say(client: httpx.Client, token: str, body: dict[str, str]) -> list[dict[str, Any]]:
    response = client.post(f"/api/conversations/{token}/messages", json=body)
    response.raise_for_status()
    messages: list[dict[str, Any]] = response.json()["messages"]
    return messages


def answers_after_each_situation(
    client: httpx.Client, text: str, situations: list[str]
) -> tuple[str, ...]:
    """The entries answered when the question is asked again, in a new conversation each
    time, and each situation button is pressed (one click: the newcomer knows theirs)."""
    answered: list[str] = []
    for title in situations:
        token = client.post("/api/conversations", json={}).json()["conversation"]
        asked = _say(client, token, {"text": text})
        button = next(
            (b["id"] for m in asked for b in m["buttons"] if b["title"] == title),
            None,
        )
        if button is None:
            continue
        after = _say(client, token, {"button": button})
        answered += [m["faq"]["id"] for m in after if m.get("faq")][:1]
    return tuple(dict.fromkeys(answered))


def ask_gateway(
    client: httpx.Client,
    text: str,
    titles: dict[str, str],
    crisis: set[str],
    situations: set[str],
) -> tuple[DevOutcome, str | None, tuple[str, ...], float]:
    """A new conversation, one question: what came back, and how long the question took.
    When the bot asks the newcomer's situation, what each situation button answers counts as
    offered (within one click)."""
    token = client.post("/api/conversations", json={}).json()["conversation"]
    started = time.perf_counter()
    messages = _say(client, token, {"text": text})
    seconds = time.perf_counter() - started
    if any(m["sender"] == "system" and m["text"] in crisis for m in messages):
        return "crisis", None, (), seconds
    answered = next((m["faq"]["id"] for m in messages if m.get("faq")), None)
    offered = tuple(
        titles[b["title"]] for m in messages for b in m["buttons"] if b["title"] in titles
    )
    buttons = [b["title"] for m in messages for b in m["buttons"]]
    asked_situation = [title for title in buttons if title in situations]
    if answered is None and asked_situation:
        offered += answers_after_each_situation(client, text, asked_situation)
    if answered:
        return "answered", answered, offered, seconds
    return ("asked" if offered or asked_situation else "fallback"), None, offered, seconds


def parse_ranking(client: httpx.Client, api: str, text: str) -> tuple[tuple[str, float], ...]:
    data = client.post(f"{api}/model/parse", json={"text": text}).json()
    return tuple(
        (str(item["name"]).removeprefix(FAQ_PREFIX), round(float(item["confidence"]), 4))
        for item in data.get("intent_ranking") or []
        if str(item["name"]).startswith(FAQ_PREFIX)
    )[:5]


@contextmanager
def rasa_api(stack: Stack) -> Iterator[str]:
    """A second Rasa server on the stack's model with `--enable-api`, for /model/parse."""
    from bot.processes import process_environment
    from bot.training import current_model

    env = dict(os.environ)
    env.update(
        process_environment(
            stack.settings, model=current_model(PROJECT_ROOT, stack.settings.model_dir)
        )
    )
    env["WEGWIJS_TRACKER_STORE_URL"] = f"sqlite:///{stack.settings.var_dir / 'parse-tracker.db'}"
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    command = [
        str(PROJECT_ROOT / ".venvs/rasa/bin/rasa"),
        *("run", "--enable-api", "--model", env["WEGWIJS_MODEL"], "--interface", "127.0.0.1"),
        *("--port", str(port), "--endpoints", "endpoints.yml"),
        *("--credentials", "credentials.yml", "--quiet"),
    ]
    stack.log_dir.mkdir(parents=True, exist_ok=True)
    with (stack.log_dir / "rasa-api.log").open("ab") as log:
        rasa = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 180
        with httpx.Client(timeout=5) as client:
            while time.monotonic() < deadline:
                try:
                    if client.get(f"{api}/status").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if rasa.poll() is not None:
                    raise RuntimeError(f"Rasa (--enable-api) stopped; see {stack.log_dir}")
                time.sleep(0.5)
        yield api
    finally:
        rasa.terminate()
        rasa.wait(timeout=30)


def run_devset(
    base_url: str, api: str | None, kb: KnowledgeBase, questions: list[DevQuestion]
) -> list[DevResult]:
    titles = entry_titles(kb)
    crisis = crisis_replies()
    situations = situation_titles()
    results: list[DevResult] = []
    with httpx.Client(base_url=base_url, timeout=60.0) as client:
        ask_gateway(client, "hallo", titles, crisis, situations)  # warm-up, not counted
        for index, q in enumerate(questions, start=1):
            outcome, answered, offered, seconds = ask_gateway(
                client, q.text, titles, crisis, situations
            )
            ranking = parse_ranking(client, api, q.text) if api else ()
            results.append(
                DevResult(
                    q.id,
                    q.language,
                    q.text,
                    q.expected,
                    q.accepted,
                    outcome,
                    answered,
                    offered,
                    ranking,
                    seconds,
                )
            )
            right = sum(r.right_at_once for r in results)
            print(
                f"\r  {index}/{len(questions)} questions, right at once so far {right}",
                end="",
                file=sys.stderr,
                flush=True,
            )
    print(file=sys.stderr)
    return results


def save_results(results: list[DevResult], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(r) for r in results], ensure_ascii=False, indent=1))


def load_results(path: Path) -> list[DevResult]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [
        DevResult(
            **{
                **row,
                "accepted": tuple(row["accepted"]),
                "offered": tuple(row["offered"]),
                "ranking": tuple((e, float(c)) for e, c in row["ranking"]),
            }
        )
        for row in rows
    ]


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def format_markdown(results: list[DevResult], split: Split, pngs: list[Path]) -> str:
    lines = [
        f"{len(results)} questions of the `{split}` split of bench/devset (real questions from "
        "public pages), each in a new conversation with no language hint, through the "
        "gateway's web API.",
        "",
        "Rows an entry answers:",
        "",
        "| language | n | right at once | within one click | wrong answer | asked | fell back |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for language in (*LANGUAGES, "all"):
        rows = [r for r in results if r.answerable and language in (r.language, "all")]
        n = len(rows)
        lines.append(
            f"| {language} | {n} | {_pct(sum(r.right_at_once for r in rows), n)} | "
            f"{_pct(sum(r.within_one_click for r in rows), n)} | "
            f"{_pct(sum(r.wrong for r in rows), n)} | "
            f"{_pct(sum(r.outcome == 'asked' for r in rows), n)} | "
            f"{_pct(sum(r.outcome == 'fallback' for r in rows), n)} |"
        )
    unanswerable = [r for r in results if r.expected == NO_ENTRY]
    crisis = [r for r in results if r.expected == CRISIS]
    seconds = sorted(r.seconds for r in results)
    p95 = 1000 * seconds[int(0.95 * (len(seconds) - 1))] if seconds else 0.0
    median = 1000 * statistics.median(seconds) if seconds else 0.0
    lines += [
        "",
        f"- `none` rows (no entry answers them): {len(unanswerable)}, answered anyway "
        f"{sum(r.wrong for r in unanswerable)}.",
        f"- `crisis` rows: {len(crisis)}, crisis reply {sum(r.right_at_once for r in crisis)}.",
        f"- Time per question (one user, the question's turn): median {median:.0f} ms, "
        f"p95 {p95:.0f} ms.",
        "",
        *(f"![{png.stem}]({png})" for png in pngs),
        "",
        "Wrong answers (expected → answered):",
        "",
    ]
    wrong = [r for r in results if r.answerable and r.wrong]
    lines += [f"- {r.id}: {r.expected} → {r.answered or r.outcome}" for r in wrong] or ["- none"]
    return "\n".join(lines)

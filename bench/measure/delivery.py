"""Staff answer delivery on the web: the time from a staff answer (committed in the database,
as `wegwijs staff answer` does) to the newcomer's open page receiving it (its long poll on
/api/conversations/{token}/updates returns), through a real stack on 127.0.0.1.

Newcomers ask for a person in uk, en and nl (the question, "a person please", consent), keep
a long poll open, and staff answer their tickets one after another. The path measured is the
gateway's outbox (which looks for work every OUTBOX_POLL_SECONDS), the web delivery into the
conversation's inbox, and the long poll (which looks every 0.4 s).
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bot.config import PROJECT_ROOT
from bot.stack import Stack, stack_settings
from bot.texts import load_texts

TARGET_P95_S = 2.0
CODE = re.compile(r"\b([A-Z0-9]{3}-[A-Z0-9]{3})\b")
ASK = {
    "uk": ("Сусід сверлить стіну щоночі після опівночі, чи може гемеенте щось із цим зробити?",
           "Я хочу поговорити з людиною"),
    "en": ("My neighbour drills into the wall every night after midnight, can the municipality "
           "do something?", "I want to talk to a person"),
    "nl": ("Mijn buurman boort elke nacht na middernacht in de muur, kan de gemeente daar iets "
           "aan doen?", "Ik wil met een medewerker praten"),
}  # fmt: skip


@dataclass
class Newcomer:
    language: str
    token: str = ""
    code: str = ""
    received_at: float | None = None
    error: str = ""


@dataclass
class DeliveryReport:
    seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    asked: int = 0
    outbox_poll_seconds: float = 0.0
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)


def _ask_for_a_person(client: httpx.Client, newcomer: Newcomer) -> None:
    texts = load_texts(PROJECT_ROOT)
    start = client.post("/api/conversations", json={"language": newcomer.language}).json()
    newcomer.token = start["conversation"]
    path = f"/api/conversations/{newcomer.token}/messages"
    question, person = ASK[newcomer.language]
    client.post(path, json={"text": question})
    offer = client.post(path, json={"text": person}).json()
    title = texts.buttons["send_to_staff"]["title"][newcomer.language]
    buttons = {b["title"]: b["id"] for m in offer["messages"] for b in m["buttons"]}
    if title not in buttons:
        newcomer.error = f"no consent button in {list(buttons)}"
        return
    created = client.post(path, json={"button": buttons[title]}).json()
    found = CODE.search("\n".join(m["text"] for m in created["messages"]))
    if found is None:
        newcomer.error = "no ticket code"
        return
    newcomer.code = found[1]


def _wait_for_answer(url: str, newcomer: Newcomer) -> None:
    with httpx.Client(base_url=url, timeout=40.0) as client:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            response = client.get(
                f"/api/conversations/{newcomer.token}/updates", params={"wait": 20}
            )
            if any(m["sender"] == "staff" for m in response.json().get("messages", [])):
                newcomer.received_at = time.monotonic()
                return
        newcomer.error = "no answer within 60 s"


async def _answer(database_url: str, code: str) -> None:
    from bot.db.session import make_engine, make_sessionmaker
    from bot.escalation import tickets

    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            await tickets.answer(
                session, code=tickets.normalize_code(code), staff="bench", text="Answer."
            )
    finally:
        await engine.dispose()


def run_delivery_benchmark(*, count: int = 30) -> DeliveryReport:
    root = Path(tempfile.mkdtemp(prefix="wegwijs-delivery-"))
    (root / "var").mkdir()
    stack = Stack(stack_settings(root / "var"))
    print("Starting a stack for the delivery benchmark...", file=sys.stderr)
    stack.start()
    report = DeliveryReport(
        outbox_poll_seconds=stack.settings.outbox_poll_seconds, load_average=os.getloadavg()
    )
    try:
        languages = ("uk", "en", "nl")
        newcomers = [Newcomer(languages[i % 3]) for i in range(count)]
        with httpx.Client(base_url=stack.url, timeout=60.0) as client:
            for newcomer in newcomers:
                _ask_for_a_person(client, newcomer)
        ready = [n for n in newcomers if n.code]
        report.asked = len(ready)
        report.failures += [n.error for n in newcomers if n.error]
        for newcomer in ready:  # one at a time: a page open, then staff answer
            poller = threading.Thread(target=_wait_for_answer, args=(stack.url, newcomer))
            poller.start()
            time.sleep(0.3)  # the long poll is waiting
            asyncio.run(_answer(stack.settings.effective_database_url, newcomer.code))
            answered_at = time.monotonic()
            poller.join()
            if newcomer.received_at is None:
                report.failures.append(newcomer.error or "not received")
            else:
                report.seconds.append(newcomer.received_at - answered_at)
    finally:
        stack.stop()
    return report


def format_markdown(report: DeliveryReport) -> str:
    values = sorted(report.seconds)

    def pct(share: float) -> float:
        return values[min(len(values) - 1, round(share * (len(values) - 1)))] if values else 0.0

    p95 = pct(0.95)
    verdict = "met" if values and p95 < TARGET_P95_S else "**not met**"
    lines = [
        "# Staff answer delivery (web)",
        "",
        f"{report.asked} newcomers asked for a person (uk, en, nl) with their page open (a long "
        f"poll); staff answered each ticket in the database; the time until the page had the "
        f"answer. The outbox looks for work every {report.outbox_poll_seconds:.1f} s. Load "
        f"average at the start: {report.load_average[0]:.1f}.",
        "",
        "| answers | p50 s | p95 s | max s | mean s | target p95 | |",
        "|---:|---:|---:|---:|---:|---:|---|",
        f"| {len(values)} | {pct(0.5):.2f} | {p95:.2f} | {max(values, default=0):.2f} "
        f"| {statistics.fmean(values) if values else 0:.2f} | < {TARGET_P95_S:.0f} s | {verdict} |",
    ]
    if report.failures:
        lines += ["", f"Not delivered or not asked: {len(report.failures)}"]
        lines += [f"- {failure}" for failure in report.failures[:10]]
    lines += [
        "",
        "Telegram's delivery (the same outbox, then the Bot API) is not timed here: the fake "
        "Bot API lives in the tests (tests/fake_telegram.py).",
    ]
    return "\n".join(lines)

"""What the gateway's privacy and safety checks cost per message, and how often they fire on
ordinary questions (every question of the knowledge base, training and held-out).

    wegwijs bench safety [--write]
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.faq.schema import KnowledgeBase
from bot.privacy.redact import redact
from bot.safety.crisis import detect_crisis, load_crisis_terms

ROUNDS = 5
IDENTIFIER_MESSAGES = (
    "My BSN is 111222333, where do I register my address?",
    "Mijn IBAN is NL91 ABNA 0417 1643 00, wanneer krijg ik leefgeld?",
    "Мій телефон +380 67 123 45 67, передзвоніть мені щодо житла",
    "Mail me at olena.k@example.org about my V-nummer 1234567890 please",
)


@dataclass(frozen=True)
class Timing:
    mean_us: float
    p99_us: float


@dataclass(frozen=True)
class SafetyReport:
    questions: int
    redacted: list[str]
    crisis: list[str]
    redact_plain: Timing
    redact_identifiers: Timing
    crisis_time: Timing
    identifiers_caught: int


def _time(function: Callable[[str], object], messages: list[str]) -> Timing:
    samples: list[float] = []
    for _ in range(ROUNDS):
        for message in messages:
            started = time.perf_counter()
            function(message)
            samples.append((time.perf_counter() - started) * 1e6)
    samples.sort()
    return Timing(statistics.fmean(samples), samples[int(len(samples) * 0.99) - 1])


def run_safety_benchmark(kb: KnowledgeBase, root: Path) -> SafetyReport:
    questions = [
        question
        for entry in kb.entries
        for table in (
            entry.questions.uk,
            entry.questions.en,
            entry.questions.nl,
            *(entry.heldout.uk, entry.heldout.en, entry.heldout.nl, entry.heldout.ru),
        )
        for question in table
    ]
    load_crisis_terms(root)  # once per process, as the gateway does before the first message
    return SafetyReport(
        questions=len(questions),
        redacted=[q for q in questions if redact(q).kinds],
        crisis=[q for q in questions if detect_crisis(q, root=root) is not None],
        redact_plain=_time(redact, questions),
        redact_identifiers=_time(redact, list(IDENTIFIER_MESSAGES)),
        crisis_time=_time(lambda q: detect_crisis(q, root=root), questions),
        identifiers_caught=sum(1 for m in IDENTIFIER_MESSAGES if redact(m).kinds),
    )


def format_markdown(report: SafetyReport) -> str:
    def row(name: str, timing: Timing) -> str:
        return f"| {name} | {timing.mean_us:.1f} | {timing.p99_us:.1f} |"

    lines = [
        "# Privacy and safety checks",
        "",
        f"Every question of the knowledge base ({report.questions}, training and held-out, "
        "uk/en/nl/ru) through the redaction and the crisis detection, as the gateway runs them "
        f"on each message ({ROUNDS} rounds).",
        "",
        "| check | mean µs per message | p99 µs |",
        "|---|---|---|",
        row("redaction, ordinary questions", report.redact_plain),
        row("redaction, messages with identifiers", report.redact_identifiers),
        row("crisis detection", report.crisis_time),
        "",
        f"- Ordinary questions redacted (false hits): {len(report.redacted)} of "
        f"{report.questions}.",
        f"- Ordinary questions taken for a crisis (false alarms): {len(report.crisis)} of "
        f"{report.questions}.",
        f"- Messages with a BSN, IBAN, phone number, e-mail or V-number redacted: "
        f"{report.identifiers_caught} of {len(IDENTIFIER_MESSAGES)}.",
        "- Both run in-process before anything is stored; against ~77 ms for a whole turn "
        "(see Load), they cost well under 1%.",
    ]
    lines += [f"  - redacted: {q}" for q in report.redacted[:10]]
    lines += [f"  - crisis: {q}" for q in report.crisis[:10]]
    return "\n".join(lines)

"""Held-out questions through the real pipeline (gateway language decision + Rasa + actions).

Each question is asked in a new conversation, with no language hint, through the web API.
Reported per language (uk, en, nl, and ru: questions written in Russian, answered in
Ukrainian): top-1 entry and topic accuracy of the assistant's first choice (the entry it
answered with, or else the first it offered under "did you mean"), how often it answered
right at once, how often it answered a wrong entry where it should have asked or escalated,
how often it asked with the right entry among the choices, the reply language, a topic
confusion matrix (PNG) and the slowest cases.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import httpx

from bot.faq.schema import KnowledgeBase

EvalLanguage = Literal["uk", "en", "nl", "ru"]
EVAL_LANGUAGES: tuple[EvalLanguage, ...] = ("uk", "en", "nl", "ru")
Outcome = Literal["answered", "asked", "fallback"]


@dataclass(frozen=True)
class Case:
    entry_id: str
    topic: str
    language: EvalLanguage
    question: str


@dataclass(frozen=True)
class Result:
    case: Case
    outcome: Outcome
    answered_id: str | None
    suggested_titles: tuple[str, ...]
    reply_language: str
    seconds: float

    suggested_right: bool = False
    first_choice_id: str | None = None  # answered, or else the first "did you mean" choice

    @property
    def correct(self) -> bool:
        return self.answered_id == self.case.entry_id

    @property
    def reached(self) -> bool:
        """The right answer is at most one click away: given, or among the choices."""
        return self.correct or self.suggested_right

    @property
    def first_choice_correct(self) -> bool:
        return self.first_choice_id == self.case.entry_id

    @property
    def first_choice_topic_correct(self) -> bool:
        chosen = self.first_choice_id
        return chosen is not None and chosen.split("_")[0] == self.case.topic


@dataclass
class LanguageScore:
    language: EvalLanguage
    results: list[Result] = field(default_factory=list)

    def share(self, predicate: Iterable[bool]) -> float:
        values = list(predicate)
        return sum(values) / len(values) if values else 0.0

    @property
    def top1(self) -> float:
        return self.share(r.correct for r in self.results)

    @property
    def first_choice(self) -> float:
        return self.share(r.first_choice_correct for r in self.results)

    @property
    def first_choice_topic(self) -> float:
        return self.share(r.first_choice_topic_correct for r in self.results)

    @property
    def reached(self) -> float:
        return self.share(r.reached for r in self.results)

    @property
    def wrong_answer(self) -> float:
        return self.share(r.outcome == "answered" and not r.correct for r in self.results)

    @property
    def asked(self) -> float:
        return self.share(r.outcome == "asked" for r in self.results)

    @property
    def fallback(self) -> float:
        return self.share(r.outcome == "fallback" for r in self.results)

    @property
    def reply_language_ok(self) -> float:
        expected = "uk" if self.language == "ru" else self.language
        return self.share(r.reply_language == expected for r in self.results)


def heldout_cases(kb: KnowledgeBase) -> list[Case]:
    return [
        Case(entry.id, entry.topic, language, question)
        for entry in kb.entries
        for language in EVAL_LANGUAGES
        for question in getattr(entry.heldout, language)
    ]


def ask(client: httpx.Client, case: Case, titles: dict[str, str], right: set[str]) -> Result:
    started = time.perf_counter()
    token = client.post("/api/conversations", json={}).json()["conversation"]
    response = client.post(f"/api/conversations/{token}/messages", json={"text": case.question})
    seconds = time.perf_counter() - started
    response.raise_for_status()
    data = response.json()
    messages = data["messages"]
    answered = next((m["faq"]["id"] for m in messages if m.get("faq")), None)
    suggested = tuple(
        b["title"] for m in messages for b in m["buttons"] if b["title"] in titles.values()
    )
    outcome: Outcome = "answered" if answered else ("asked" if suggested else "fallback")
    entry_of_title = {title: key.split(":")[0] for key, title in titles.items()}
    first = answered or (entry_of_title[suggested[0]] if suggested else None)
    return Result(
        case,
        outcome,
        answered,
        suggested,
        data["language"],
        seconds,
        bool(right & set(suggested)),
        first,
    )


def all_titles(kb: KnowledgeBase) -> dict[str, str]:
    """Every entry's title in every language ("id:language" -> title), to spot suggestions."""
    return {
        f"{entry.id}:{language}": entry.title.get(language)
        for entry in kb.entries
        for language in ("uk", "en", "nl")
    }


def run_evaluation(base_url: str, kb: KnowledgeBase) -> list[Result]:
    cases = heldout_cases(kb)
    titles = all_titles(kb)
    results: list[Result] = []
    with httpx.Client(base_url=base_url, timeout=60.0) as client:
        for index, case in enumerate(cases, start=1):
            right = {titles[f"{case.entry_id}:{language}"] for language in ("uk", "en", "nl")}
            results.append(ask(client, case, titles, right))
            if index % 25 == 0 or index == len(cases):
                print(
                    f"\r  asked {index}/{len(cases)} held-out questions",
                    end="",
                    file=sys.stderr,
                )
    print(file=sys.stderr)
    return results


def scores(results: list[Result]) -> dict[EvalLanguage, LanguageScore]:
    by_language = {language: LanguageScore(language) for language in EVAL_LANGUAGES}
    for result in results:
        by_language[result.case.language].results.append(result)
    return by_language


def asked_with_right_choice(results: list[Result]) -> float:
    asked = [r for r in results if r.outcome == "asked"]
    return sum(r.suggested_right for r in asked) / len(asked) if asked else 0.0


def confusion_png(results: list[Result], topics: list[str], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = [*topics, "asked", "fallback"]
    counts = [[0] * len(columns) for _ in topics]
    for r in results:
        if r.answered_id is not None:
            column = topics.index(r.answered_id.split("_")[0])
        else:
            column = columns.index(r.outcome)
        counts[topics.index(r.case.topic)][column] += 1
    figure, axis = plt.subplots(figsize=(9, 6.5))
    axis.imshow(counts, cmap="Blues")
    axis.set_xticks(range(len(columns)), columns, rotation=45, ha="right")
    axis.set_yticks(range(len(topics)), topics)
    axis.set_xlabel("what the assistant did (answered topic, or asked / fell back)")
    axis.set_ylabel("topic of the held-out question")
    darkest = max(map(max, counts))
    for i, counts_row in enumerate(counts):
        for j, value in enumerate(counts_row):
            if value:
                color = "white" if value > darkest / 2 else "black"
                axis.text(j, i, str(value), ha="center", va="center", color=color, fontsize=8)
    axis.set_title(f"Held-out questions, all languages (n={len(results)})")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def format_markdown(results: list[Result], kb: KnowledgeBase, png: Path) -> str:
    per_language = scores(results)
    lines = [
        f"{len(results)} held-out questions ({len(kb.entries)} entries), each in a new "
        "conversation with no language hint, through the gateway's web API.",
        "",
        "| language | n | top-1 entry (first choice) | topic (first choice) "
        "| answered right at once | right entry in ≤ 1 click | answered wrongly "
        "| asked (did you mean) | fell back | reply language right |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for language, score in per_language.items():
        lines.append(
            f"| {language} | {len(score.results)} | {_pct(score.first_choice)} | "
            f"{_pct(score.first_choice_topic)} | {_pct(score.top1)} | "
            f"{_pct(score.reached)} | {_pct(score.wrong_answer)} | {_pct(score.asked)} | "
            f"{_pct(score.fallback)} | "
            f"{_pct(score.reply_language_ok)} |"
        )
    seconds = sorted(r.seconds for r in results)
    median_ms = 1000 * statistics.median(seconds)
    p95_ms = 1000 * seconds[int(0.95 * (len(seconds) - 1))]
    right_choice = _pct(asked_with_right_choice(results))
    lines += [
        "",
        'First choice: the entry it answered with, or else the first it offered under "did you '
        'mean"; answered right at once: it gave the right answer without asking.',
        f"When it asked, the right entry was among the choices in {right_choice} of cases.",
        f"Latency per question (new conversation + question): median {median_ms:.0f} ms, "
        f"p95 {p95_ms:.0f} ms.",
        "",
        f"![Topic confusion]({png})",
        "",
        "Most frequent confusions (expected → answered):",
        "",
    ]
    confusions = Counter(
        (r.case.entry_id, r.answered_id)
        for r in results
        if r.outcome == "answered" and not r.correct
    )
    lines += [f"- {a} → {b}: {n}" for (a, b), n in confusions.most_common(10)] or ["- none"]
    lines += ["", "Slowest cases:", ""]
    for r in sorted(results, key=lambda r: r.seconds, reverse=True)[:5]:
        lines.append(f"- {1000 * r.seconds:.0f} ms ({r.case.language}) {r.case.question!r}")
    return "\n".join(lines)

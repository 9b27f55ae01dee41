"""`wegwijs check-faq`: the national entries with every municipality's layer, and the texts
with each municipality's slots (faq/local/<municipality>/)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.faq.schema import KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from bot.municipality import DEFAULT_MUNICIPALITY, known_municipalities
from bot.privacy_page import read_privacy
from bot.texts import TextsError, missing_translations, read_texts


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    def add(self, problems: list[str]) -> None:
        """Adds each problem once (a national entry's problem shows in every layer)."""
        self.problems.extend(problem for problem in problems if problem not in self.problems)


def _texts_problems(root: Path, municipality: str) -> list[str]:
    try:
        texts = read_texts(root, municipality)
        read_privacy(root, municipality)
    except TextsError as error:
        return [f"[{municipality}] {problem}" for problem in error.problems]
    return missing_translations(texts)


def _sources_line(municipality: str, kb: KnowledgeBase) -> str:
    sources = [source for entry in kb.entries for source in entry.sources]
    review = kb.sources_for_review()
    homepages = sum(1 for source in review if source.review == "homepage")
    return (
        f"  sources: {len(sources) - len(review)} of {len(sources)} link a confirmed page; "
        f"marked for review: {homepages} homepage(s) ('review: homepage'), "
        f"{len(review) - homepages} unconfirmed deep link(s) ('review: unconfirmed')."
    )


def check_every_layer(root: Path) -> CheckReport:
    """Every municipality's knowledge base and texts; the problems, and a summary per layer."""
    report = CheckReport()
    municipalities = known_municipalities(root / "faq") or [DEFAULT_MUNICIPALITY]
    for municipality in municipalities:
        report.add(_texts_problems(root, municipality))
        try:
            kb = load_knowledge_base(root / "faq", municipality=municipality)
        except KnowledgeBaseError as error:
            report.add([str(problem) for problem in error.problems])
            continue
        local = sum(1 for entry in kb.entries if entry.scope == "local")
        report.summary.append(
            f"OK {municipality}: {len(kb.entries)} entries ({local} of its own), "
            "every text in uk, en and nl."
        )
        report.summary.append(_sources_line(municipality, kb))
    return report

"""Waiting tickets that ask the same thing, whatever their language: staff answer them once.

Questions are embedded with the bot's model (bot/semantics/embedder.py). Raw cosine between
two languages is weak: a Dutch and a Ukrainian wording of one question are often less alike
than two different Dutch questions. With the knowledge-base index (bot/faq/search.py) two
measures fix most of that: each question minus the mean vector of its language (what every
sentence of that language shares), and each question's profile over the entries (which
entries it is near, language-free). Without the index, raw cosine is used. Both thresholds
were tuned on labelled questions in uk, en, nl and ru (tests/bot/escalation/
similar_cases.yml; precision and recall in BENCHMARKS.md, "Similar waiting tickets").

Vectors of questions are kept in memory only, under a hash of the text: never stored, so
retention and /forget have nothing more to erase."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Ticket
from bot.escalation.tickets import WAITING
from bot.semantics.embedder import Embedder, Vectors

if TYPE_CHECKING:
    from bot.faq.search import EntryIndex, EntrySearch

# Tuned: bench/measure/similar_tickets.py (BENCHMARKS.md).
SAME_QUESTION = 0.44  # with the knowledge-base index: precision 82%, recall 83%
SAME_QUESTION_RAW = 0.87  # raw cosine, without it: precision 63%, recall 53%
PROFILE_WEIGHT = 0.4  # the rest is the language-centred cosine
PROFILE_SHARPNESS = 0.02  # entries this much less near than the nearest count e^-1 as much
CANDIDATES = 1000  # the newest waiting tickets compared (a day's queue is far smaller)
REMEMBERED = 20_000  # vectors kept in memory (1.5 KB each)


@dataclass(frozen=True)
class SimilarTicket:
    ticket: Ticket
    score: float


class _VectorMemory:
    """Question vectors by a hash of the question, least recently used forgotten first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._vectors: OrderedDict[tuple[int, str], Vectors] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(embedder: Embedder, text: str) -> tuple[int, str]:
        return id(embedder), hashlib.sha256(text.encode()).hexdigest()

    def get(self, embedder: Embedder, text: str) -> Vectors | None:
        with self._lock:
            key = self.key(embedder, text)
            found = self._vectors.get(key)
            if found is not None:
                self._vectors.move_to_end(key)
            return found

    def put(self, embedder: Embedder, text: str, vector: Vectors) -> None:
        with self._lock:
            self._vectors[self.key(embedder, text)] = vector
            while len(self._vectors) > self._size:
                self._vectors.popitem(last=False)


_memory = _VectorMemory(REMEMBERED)


def question_text(ticket: Ticket) -> str:
    return " ".join(ticket.question.split())


async def question_vectors(embedder: Embedder, texts: Sequence[str]) -> Vectors:
    """One unit row per text; new ones are embedded off the event loop."""
    missing = list(dict.fromkeys(t for t in texts if _memory.get(embedder, t) is None))
    if missing:
        made = await asyncio.to_thread(embedder.queries, missing)
        for text, vector in zip(missing, made, strict=True):
            _memory.put(embedder, text, vector)
    rows = [_memory.get(embedder, text) for text in texts]
    if any(row is None for row in rows):  # forgotten meanwhile (a huge queue): embed again
        return await asyncio.to_thread(embedder.queries, list(texts))
    return np.stack([row for row in rows if row is not None]).astype(np.float32)


def _unit(matrix: Vectors) -> Vectors:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: Vectors = (matrix / np.where(norms == 0, 1, norms)).astype(np.float32)
    return unit


def question_features(
    vectors: Vectors, languages: Sequence[str], index: EntryIndex | None
) -> Vectors:
    """Rows whose dot products are the same-question scores: the language-centred vector
    and the profile over the entries side by side, weighted (PROFILE_WEIGHT), so a whole
    matrix of scores is one product (the editors' groups of missed questions use it too).
    Without `index`, the raw vectors (compare with SAME_QUESTION_RAW)."""
    if index is None:
        return vectors
    centres = {language: index.language_centre(language) for language in set(languages)}
    centred = _unit(vectors - np.stack([centres[language] for language in languages]))
    near = index.profiles(vectors)
    profiles = _unit(np.exp((near - near.max(axis=1, keepdims=True)) / PROFILE_SHARPNESS))
    features: Vectors = np.hstack(
        [np.sqrt(PROFILE_WEIGHT) * profiles, np.sqrt(1 - PROFILE_WEIGHT) * centred]
    ).astype(np.float32)
    return features


def same_question_scores(
    vectors: Vectors, languages: Sequence[str], index: EntryIndex | None
) -> Vectors:
    """How much row 0 asks what each other row asks (compare with SAME_QUESTION, or with
    SAME_QUESTION_RAW when `index` is None)."""
    features = question_features(vectors, languages, index)
    scores: Vectors = features[1:] @ features[0]
    return scores


async def similar_waiting(
    session: AsyncSession,
    ticket: Ticket,
    embedder: Embedder,
    *,
    limit: int = 20,
    search: EntrySearch | None = None,
) -> list[SimilarTicket]:
    """Other open or claimed tickets that ask what `ticket` asks, most alike first. Pass the
    process's EntrySearch as `search` for the better measure (its index is cached)."""
    candidates = list(
        await session.scalars(
            select(Ticket)
            .where(Ticket.state.in_(WAITING), Ticket.id != ticket.id)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(CANDIDATES)
        )
    )
    if not candidates or limit <= 0:
        return []
    vectors = await question_vectors(
        embedder, [question_text(ticket)] + [question_text(other) for other in candidates]
    )
    index = await asyncio.to_thread(search.index) if search is not None else None
    languages = [ticket.language] + [other.language for other in candidates]
    scores = same_question_scores(vectors, languages, index)
    threshold = SAME_QUESTION if index is not None else SAME_QUESTION_RAW
    found = [
        SimilarTicket(ticket=other, score=round(float(score), 4))
        for other, score in zip(candidates, scores, strict=True)
        if score >= threshold
    ]
    found.sort(key=lambda similar: (-similar.score, similar.ticket.id))
    return found[:limit]

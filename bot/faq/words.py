"""Search by words: a small BM25 over the knowledge base's titles, questions and answers.

Words are folded (NFKC, case) and cut to their first letters: a crude stem that joins the
forms of one word in Ukrainian, Dutch and English ("номер", "номера", "номером"; "verhuizen",
"verhuizing") without a stemmer per language. Codes such as BSN, DigiD or IND stay whole."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

_WORD = re.compile(r"\w+", re.UNICODE)
STEM_LETTERS = 5  # tuned on the held-out questions (BENCHMARKS.md, "Knowledge-base search")
K1 = 1.2
B = 0.75


def words(text: str) -> list[str]:
    """The stems of a text's words of two letters or more (digits count: "30%", "2025")."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("'", "").replace("’", "")
    return [word[:STEM_LETTERS] for word in _WORD.findall(folded) if len(word) > 1]


@dataclass(frozen=True)
class WordIndex:
    """BM25 (k1 1.2, b 0.75) over one bag of words per document."""

    postings: dict[str, dict[int, int]]  # stem -> {document: count}
    lengths: tuple[int, ...]
    average_length: float

    @classmethod
    def build(cls, documents: Sequence[Sequence[str]]) -> WordIndex:
        postings: dict[str, dict[int, int]] = {}
        for number, document in enumerate(documents):
            for stem, count in Counter(document).items():
                postings.setdefault(stem, {})[number] = count
        lengths = tuple(len(document) for document in documents)
        average = sum(lengths) / len(lengths) if lengths else 0.0
        return cls(postings=postings, lengths=lengths, average_length=average or 1.0)

    def idf(self, stem: str) -> float:
        found = len(self.postings.get(stem, {}))
        total = len(self.lengths)
        return math.log(1 + (total - found + 0.5) / (found + 0.5))

    def scores(self, query: str) -> list[float]:
        """One BM25 score per document (0 where no word of the query occurs)."""
        totals = [0.0] * len(self.lengths)
        for stem in set(words(query)):
            documents = self.postings.get(stem)
            if not documents:
                continue
            weight = self.idf(stem)
            for number, count in documents.items():
                norm = K1 * (1 - B + B * self.lengths[number] / self.average_length)
                totals[number] += weight * count * (K1 + 1) / (count + norm)
        return totals

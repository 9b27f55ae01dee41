"""Re-ranks the intent classifier's candidates with BM25 over the training questions (bm25s).

Pipeline entry (after the intent classifier, before FallbackClassifier)::

    - name: rasa_plugins.lexical_ranker.LexicalIntentRanker
      weight: 3.0          # how much a word match counts against the classifier's log-odds
      prefix_length: 6     # words are cut to this many letters (a stemmer for uk/ru/nl/en)
      ranking_length: 10   # candidates kept in the ranking

The embedding classifier knows what a question means but not which rare words it names:
"GGD", "leefgeld", "DigiD", "huisarts", "bijstand". BM25 knows exactly that. Each intent is one
document: all its training questions, lower-cased and cut to their first `prefix_length`
letters (Ukrainian, Russian and Dutch change word endings; a common prefix is the cheapest
stemmer that works for all four languages). For a message, every candidate the classifier
ranked gets

    score = log(classifier confidence) + weight * BM25(intent) / max BM25 over the candidates

and the scores are turned back into confidences with a softmax over the candidates. A message
with no word of the training data keeps the classifier's ranking unchanged. Tuned on the
development set's tune split (bench/measure/devset.py; BENCHMARKS.md, "Lexical ranking").

The documents are stored in the Rasa model (a JSON file); the BM25 index is rebuilt from them
when the model loads (a few milliseconds for a hundred intents).
"""

from __future__ import annotations

import json
import logging
import math
import re
from typing import TYPE_CHECKING, Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

# Resource, ModelStorage, Message and TrainingData stay run-time imports: Rasa's graph
# validation resolves the type hints of create/load/process/train.

if TYPE_CHECKING:
    import bm25s

logger = logging.getLogger(__name__)

DOCUMENTS_FILE = "lexical_documents.json"
_WORD = re.compile(r"\w+")


def words(text: str, prefix_length: int) -> list[str]:
    """The text's words, lower-cased and cut to `prefix_length` letters; one-letter words go."""
    return [w[:prefix_length] for w in _WORD.findall(text.lower()) if len(w) > 1 or w.isdigit()]


def combine(
    ranking: list[tuple[str, float]], lexical: dict[str, float], weight: float
) -> list[tuple[str, float]]:
    """The candidates re-scored with their BM25 scores, as confidences summing to 1, best first.

    BM25 scores are divided by the best among the candidates, so `weight` means the same
    whatever the message's length. Without any lexical match the ranking is returned as it was.
    """
    best = max((lexical.get(name, 0.0) for name, _ in ranking), default=0.0)
    if not ranking or best <= 0.0:
        return ranking
    scores = [
        math.log(max(confidence, 1e-9)) + weight * lexical.get(name, 0.0) / best
        for name, confidence in ranking
    ]
    top = max(scores)
    exps = [math.exp(score - top) for score in scores]
    total = sum(exps)
    rescored = [(name, e / total) for (name, _), e in zip(ranking, exps, strict=True)]
    return sorted(rescored, key=lambda item: -item[1])


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LexicalIntentRanker(GraphComponent):
    """Re-orders the intent ranking by how well the message's words match each intent's."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Returns the component's default config."""
        return {"weight": 3.0, "prefix_length": 6, "ranking_length": 10, "k1": 1.2, "b": 0.75}

    @staticmethod
    def required_packages() -> list[str]:
        """Python packages the component needs."""
        return ["bm25s"]

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Rejects a config the component cannot run with."""
        if float(config["weight"]) < 0:
            raise InvalidConfigException("LexicalIntentRanker: weight must not be negative.")
        if int(config["prefix_length"]) < 1 or int(config["ranking_length"]) < 1:
            raise InvalidConfigException(
                "LexicalIntentRanker: prefix_length and ranking_length must be at least 1."
            )

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        documents: dict[str, list[str]] | None = None,
    ) -> None:
        """Builds the component; with documents, builds their BM25 index."""
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._prefix_length = int(self._config["prefix_length"])
        self._weight = float(self._config["weight"])
        self._ranking_length = int(self._config["ranking_length"])
        self._labels: list[str] = []
        self._index: bm25s.BM25 | None = None
        if documents:
            self._build(documents)

    def _build(self, documents: dict[str, list[str]]) -> None:
        import bm25s  # here, not at module level: loaded with the model only

        self._labels = sorted(documents)
        index = bm25s.BM25(k1=float(self._config["k1"]), b=float(self._config["b"]))
        index.index([documents[label] for label in self._labels], show_progress=False)
        self._index = index

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LexicalIntentRanker:
        """Creates the component for training."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Makes one document per intent from its training questions and stores them."""
        documents: dict[str, list[str]] = {}
        for example in training_data.intent_examples:
            text = example.get(TEXT)
            intent = example.get(INTENT)
            if text and intent:
                documents.setdefault(str(intent), []).extend(words(str(text), self._prefix_length))
        with self._model_storage.write_to(self._resource) as directory:
            (directory / DOCUMENTS_FILE).write_text(json.dumps(documents), encoding="utf-8")
        if documents:
            self._build(documents)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LexicalIntentRanker:
        """Loads the stored documents and rebuilds their index."""
        try:
            with model_storage.read_from(resource) as directory:
                documents = json.loads((directory / DOCUMENTS_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.debug("LexicalIntentRanker: no stored documents; the ranking stays as it is.")
            documents = {}
        return cls(config, model_storage, resource, documents)

    def _lexical(self, text: str) -> dict[str, float]:
        query = words(text, self._prefix_length)
        if self._index is None or not query:
            return {}
        scores = self._index.get_scores(query)
        return {label: float(score) for label, score in zip(self._labels, scores, strict=True)}

    def process(self, messages: list[Message]) -> list[Message]:
        """Re-ranks the intent ranking of every message that has one (in place)."""
        for message in messages:
            ranking = message.get(INTENT_RANKING_KEY) or []
            text = message.get(TEXT)
            if not ranking or not text:
                continue
            pairs = [(str(item["name"]), float(item["confidence"])) for item in ranking]
            rescored = combine(pairs, self._lexical(str(text)), self._weight)
            shown = [{"name": name, "confidence": conf} for name, conf in rescored]
            shown = shown[: self._ranking_length]
            message.set(INTENT, shown[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, shown, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Leaves the training data as it is (nothing after this component learns from it)."""
        return training_data

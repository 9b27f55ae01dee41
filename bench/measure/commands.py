"""`wegwijs bench`: runs a benchmark, prints its report and, with --write, puts it in its
BENCHMARKS.md section. Each benchmark's module is imported only when it runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import Settings


def add_arguments(command: argparse.ArgumentParser) -> None:
    """`wegwijs bench`'s arguments (called by bot/__main__.py)."""
    command.add_argument(
        "what",
        choices=[
            "language",
            "eval",
            "devset",
            "load",
            "resources",
            "delivery",
            "safety",
            "tuning",
            "staff-queue",
            "all",
        ],
    )
    command.add_argument("--url", help="eval: a running gateway instead of a new stack")
    command.add_argument(
        "--split",
        choices=["report", "tune"],
        default="report",
        help="devset: which part of bench/devset (tune on `tune` only)",
    )
    command.add_argument(
        "--latin",
        action="store_true",
        help="devset: the Ukrainian rows typed in Latin letters (bench/devset/romanize.py)",
    )
    command.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    command.add_argument(
        "--seconds", type=float, default=60.0, help="load, tuning: seconds per level"
    )
    command.add_argument("--users", help="load, tuning: levels, e.g. 1,10,20,50,100")
    command.add_argument("--variants", help="tuning: which (default: all)")
    command.add_argument("--quick", action="store_true", help="load, resources: a short smoke run")
    command.add_argument(
        "--train", action="store_true", help="resources: also time a full training"
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Runs the benchmark(s) asked for; prints each report (and writes it with --write)."""

    root = settings.project_root
    out_dir = settings.var_dir / "bench"
    if args.what in ("language", "all"):
        from bench.measure.language import format_markdown, run_language_benchmark

        report = run_language_benchmark(root / "bench/measure/language_cases.yml", out_dir=out_dir)
        markdown = format_markdown(report)
        _publish(
            root, "language", markdown, write=args.write, command="wegwijs bench language --write"
        )
    if args.what in ("eval", "all"):
        _evaluate(settings, write=args.write, url=args.url)
    if args.what in ("devset", "all"):
        _bench_devset(settings, args)
    if args.what in ("load", "all"):
        _bench_load(settings, args)
    if args.what in ("resources", "all"):
        _bench_resources(settings, args)
    if args.what in ("delivery", "all"):
        _bench_delivery(settings, args)
    if args.what in ("safety", "all"):
        from bench.measure.safety import format_markdown as safety_markdown
        from bench.measure.safety import run_safety_benchmark
        from bot.faq.schema import load_knowledge_base

        safety = safety_markdown(run_safety_benchmark(load_knowledge_base(root / "faq"), root))
        _publish(root, "safety", safety, write=args.write, command="wegwijs bench safety --write")
    if args.what in ("staff-queue", "all"):
        _bench_staff_queue(settings, args)
    if args.what == "tuning":
        _bench_tuning(settings, args)
    return 0


def _bench_devset(settings: Settings, args: argparse.Namespace) -> None:
    """bench/devset's real questions through the real stack (bench/measure/devset.py)."""
    import tempfile

    from bench.devset import load_devset
    from bench.measure.devset import format_markdown, rasa_api, run_devset, save_results
    from bench.measure.devset_plots import devset_png
    from bot.faq.schema import TOPICS, load_knowledge_base
    from bot.stack import Stack, stack_settings

    root = settings.project_root
    kb = load_knowledge_base(root / "faq")
    questions = [q for q in load_devset() if q.split == args.split]
    name = f"devset-{args.split}"
    if args.latin:
        from bench.devset.romanize import latin_rows

        questions, name = latin_rows(questions), f"devset-latin-{args.split}"
    print(f"Starting a local stack for {len(questions)} questions (about 60 s)...", file=sys.stderr)
    stack = Stack(stack_settings(Path(tempfile.mkdtemp(prefix="wegwijs-devset-"))))
    stack.start()
    try:
        with rasa_api(stack) as api:
            results = run_devset(stack.url, api, kb, questions)
    finally:
        stack.stop()
    save_results(results, settings.var_dir / "bench" / f"{name}.json")
    latin = " --latin" if args.latin else ""
    png = devset_png(
        results,
        list(TOPICS),
        root / f"{name}.png",
        f"bench/devset{latin}, {args.split} split (n={len(results)})",
    )
    markdown = format_markdown(results, args.split, [png.relative_to(root)])
    _publish(
        root,
        name,
        markdown,
        write=args.write,
        command=f"wegwijs bench devset --split {args.split}{latin} --write",
    )


def _bench_delivery(settings: Settings, args: argparse.Namespace) -> None:
    """Staff answer to the newcomer's open page, on the web (bench/measure/delivery.py)."""
    from bench.measure.delivery import format_markdown, run_delivery_benchmark

    markdown = format_markdown(run_delivery_benchmark(count=6 if args.quick else 30))
    _publish(
        settings.project_root,
        "delivery",
        markdown,
        write=args.write,
        command="wegwijs bench delivery --write",
    )


def _bench_staff_queue(settings: Settings, args: argparse.Namespace) -> None:
    """The queue over 10,000 tickets and 50 live streams (bench/measure/staff_queue.py)."""
    from bench.measure.staff_queue import format_markdown, run_staff_queue_benchmark

    report = (
        run_staff_queue_benchmark(tickets=1000, requests=20, clients=10, rounds=3)
        if args.quick
        else run_staff_queue_benchmark()
    )
    _publish(
        settings.project_root,
        "staff-queue",
        format_markdown(report),
        write=args.write,
        command="wegwijs bench staff-queue --write" + (" --quick" if args.quick else ""),
    )


def _levels(args: argparse.Namespace, default: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(n) for n in args.users.split(",")) if args.users else default


def _load_command(what: str, args: argparse.Namespace) -> str:
    """The command as run, with the options that change what a load run measures."""
    options = [
        f"--{name} {value}"
        for name, value in (("users", args.users), ("variants", args.variants))
        if value
    ]
    if args.seconds != 60.0:
        options.append(f"--seconds {args.seconds:g}")
    if args.quick:
        options.append("--quick")
    return " ".join([f"wegwijs bench {what} --write", *options])


def _bench_load(settings: Settings, args: argparse.Namespace) -> None:
    """Locust at 1-100 concurrent conversations through the web API (bench/measure/load.py)."""
    from bench.measure.load import run_load_benchmark
    from bench.measure.load_levels import LEVELS
    from bench.measure.load_report import format_markdown

    report = run_load_benchmark(
        out_dir=settings.var_dir / "bench",
        levels=_levels(args, LEVELS),
        seconds=args.seconds,
        with_direct=not args.quick,
        with_profile=not args.quick,
        with_reading=not args.quick,
    )
    markdown = format_markdown(report)
    _publish(
        settings.project_root,
        "load",
        markdown,
        write=args.write,
        command=_load_command("load", args),
    )


def _bench_tuning(settings: Settings, args: argparse.Namespace) -> None:
    """The same load on variants of the stack (Rasa or gateway workers, PostgreSQL, Redis)."""
    from bench.measure.load_tuning import VARIANTS, format_tuning, run_tuning

    variants = args.variants.split(",") if args.variants else list(VARIANTS)
    reports = run_tuning(
        out_dir=settings.var_dir / "bench",
        variants=variants,
        levels=_levels(args, (20, 50)),
        seconds=args.seconds,
    )
    markdown = format_tuning(reports)
    _publish(
        settings.project_root,
        "tuning",
        markdown,
        write=args.write,
        command=_load_command("tuning", args),
    )


def _bench_resources(settings: Settings, args: argparse.Namespace) -> None:
    """Memory, start-up, training (--train) and language-decision cost
    (bench/measure/resources.py)."""
    from bench.measure.resources import format_markdown, run_resources_benchmark

    report = run_resources_benchmark(
        bench_dir=settings.var_dir / "bench", train=args.train, repeats=1 if args.quick else 3
    )
    command = "wegwijs bench resources --write" + (" --train" if args.train else "")
    _publish(
        settings.project_root,
        "resources",
        format_markdown(report),
        write=args.write,
        command=command,
    )


def _evaluate(settings: Settings, *, write: bool, url: str | None) -> None:
    """Held-out questions through a running stack (--url), or one started for the purpose."""
    import tempfile

    from bench.measure.evaluate import confusion_png, format_markdown, run_evaluation
    from bot.faq.schema import TOPICS, load_knowledge_base
    from bot.stack import Stack, stack_settings

    root = settings.project_root
    kb = load_knowledge_base(root / "faq")
    stack: Stack | None = None
    if url is None:
        print("Starting a local stack for the evaluation (about 30 s)...", file=sys.stderr)
        stack = Stack(stack_settings(Path(tempfile.mkdtemp(prefix="wegwijs-eval-"))))
        stack.start()
        url = stack.url
    try:
        results = run_evaluation(url, kb)
    finally:
        if stack is not None:
            stack.stop()
    png = confusion_png(results, list(TOPICS), root / "docs/eval-confusion.png")
    markdown = format_markdown(results, kb, png.relative_to(root))
    _publish(root, "eval", markdown, write=write, command="wegwijs bench eval --write")


def _publish(root: Path, name: str, markdown: str, *, write: bool, command: str) -> None:
    """Prints a benchmark's report and, with --write, puts it in its BENCHMARKS.md section."""
    from bench.measure.report import update_section

    print(markdown)
    if write:
        update_section(root / "BENCHMARKS.md", name, markdown, command=command)

"""The Wegwijs command line: `wegwijs <command>` (or `python -m bot <command>`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from bot.config import Settings, load_settings


def _publish(root: Path, name: str, markdown: str, *, write: bool, command: str) -> None:
    """Prints a benchmark's report and, with --write, puts it in its BENCHMARKS.md section."""
    from bot.bench.report import update_section

    print(markdown)
    if write:
        update_section(root / "BENCHMARKS.md", name, markdown, command=command)


def _build(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.faq.build import write_all
    from bot.faq.schema import KnowledgeBaseError

    try:
        changed = write_all(settings.project_root)
    except KnowledgeBaseError as error:
        print("The knowledge base has problems; fix them and run again:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    for path in changed:
        print(f"  wrote {path.relative_to(settings.project_root)}")
    print("Generated files are up to date.")
    return 0


def _check_faq(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.faq.schema import KnowledgeBaseError, load_knowledge_base
    from bot.texts import load_texts, missing_translations

    problems: list[str] = missing_translations(load_texts(settings.project_root))
    try:
        kb = load_knowledge_base(settings.project_root / "faq")
    except KnowledgeBaseError as error:
        problems.extend(str(problem) for problem in error.problems)
        kb = None
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s): fix them before you commit.", file=sys.stderr)
        return 1
    assert kb is not None
    print(f"OK: {len(kb.entries)} entries, every text in uk, en and nl.")
    return 0


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from alembic.config import Config

    from alembic import command

    settings.var_dir.mkdir(parents=True, exist_ok=True)
    config = Config(str(settings.project_root / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", settings.effective_database_url)
    command.upgrade(config, "head")
    return 0


def _train(settings: Settings, args: argparse.Namespace) -> int:
    from bot.training import train

    train(settings.project_root, settings.model_dir, if_changed=args.if_changed)
    return 0


def _run(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.processes import run_all

    return run_all(settings)


def _serve(settings: Settings, _args: argparse.Namespace) -> int:
    import uvicorn

    from bot.asgi import gateway
    from bot.logs import configure_logging

    configure_logging()
    # Behind a load balancer, the client's address comes from X-Forwarded-For, trusted only
    # from FORWARDED_ALLOW_IPS (the balancer's): the per-client rate limit needs it.
    options: dict[str, object] = {
        "host": settings.gateway_host,
        "port": settings.gateway_port,
        "log_level": "warning",
        "log_config": None,  # our JSON lines (bot/logs.py), not uvicorn's own format
        # Long polls (the widget's updates) hold a request up to 25 s: a stop does not wait
        # for them; the widget polls again, at another gateway or after the restart.
        "timeout_graceful_shutdown": 5,
        "proxy_headers": bool(settings.forwarded_allow_ips),
        "forwarded_allow_ips": settings.forwarded_allow_ips or None,
        "ws": "none",  # no websockets: and rasa-sdk pins a websockets too old for uvicorn's
    }
    if settings.gateway_workers > 1:
        uvicorn.run("bot.asgi:create", factory=True, workers=settings.gateway_workers, **options)  # type: ignore[arg-type]
    else:
        uvicorn.run(gateway(settings), **options)  # type: ignore[arg-type]
    return 0


def _chat(settings: Settings, args: argparse.Namespace) -> int:
    from bot.chat_cli import run_chat

    return run_chat(args.url or settings.effective_public_url, language=args.language)


def _feedback(settings: Settings, _args: argparse.Namespace) -> int:
    import asyncio

    from bot.db.repository import feedback_summary
    from bot.db.session import make_engine, make_sessionmaker

    async def summary() -> list[tuple[str, str, int, int]]:
        engine = make_engine(settings.effective_database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                return await feedback_summary(session)
        finally:
            await engine.dispose()

    rows = asyncio.run(summary())
    if not rows:
        print("No feedback yet.")
        return 0
    print(f"{'entry':<45} {'lang':<5} {'helped':>7} {'did not':>8}")
    for faq_id, language, helpful, unhelpful in rows:
        print(f"{faq_id:<45} {language:<5} {helpful:>7} {unhelpful:>8}")
    return 0


def _purge(settings: Settings, _args: argparse.Namespace) -> int:
    import asyncio

    from bot.db.session import make_engine, make_sessionmaker
    from bot.privacy.erasure import purge
    from bot.privacy.tracker_events import tracker_engine

    async def run() -> str:
        engine, tracker = make_engine(settings.effective_database_url), tracker_engine(settings)
        try:
            purged = await purge(
                make_sessionmaker(engine),
                tracker,
                conversation_days=settings.retention_days,
                closed_ticket_days=settings.closed_ticket_retention_days,
            )
        finally:
            await tracker.dispose()
            await engine.dispose()
        return str(purged)

    print(
        f"Deleted what was older than {settings.retention_days} days (closed tickets: "
        f"{settings.closed_ticket_retention_days} days): {asyncio.run(run())}."
    )
    return 0


def _staff(settings: Settings, args: argparse.Namespace) -> int:
    from bot.staff_cli import run

    return run(settings, args)


def _staff_user(settings: Settings, args: argparse.Namespace) -> int:
    from bot.staff.cli import run

    return run(settings, args)


def _bench(settings: Settings, args: argparse.Namespace) -> int:

    root = settings.project_root
    out_dir = settings.var_dir / "bench"
    if args.what in ("language", "all"):
        from bot.bench.language import format_markdown, run_language_benchmark

        report = run_language_benchmark(root / "bench/language_cases.yml", out_dir=out_dir)
        markdown = format_markdown(report)
        _publish(
            root, "language", markdown, write=args.write, command="wegwijs bench language --write"
        )
    if args.what in ("eval", "all"):
        _evaluate(settings, write=args.write, url=args.url)
    if args.what in ("load", "all"):
        _bench_load(settings, args)
    if args.what in ("resources", "all"):
        _bench_resources(settings, args)
    if args.what in ("delivery", "all"):
        _bench_delivery(settings, args)
    if args.what in ("safety", "all"):
        from bot.bench.safety import format_markdown as safety_markdown
        from bot.bench.safety import run_safety_benchmark
        from bot.faq.schema import load_knowledge_base

        safety = safety_markdown(run_safety_benchmark(load_knowledge_base(root / "faq"), root))
        _publish(root, "safety", safety, write=args.write, command="wegwijs bench safety --write")
    if args.what == "tuning":
        _bench_tuning(settings, args)
    return 0


def _bench_delivery(settings: Settings, args: argparse.Namespace) -> None:
    """Staff answer to the newcomer's open page, on the web (bot/bench/delivery.py)."""
    from bot.bench.delivery import format_markdown, run_delivery_benchmark

    markdown = format_markdown(run_delivery_benchmark(count=6 if args.quick else 30))
    _publish(
        settings.project_root,
        "delivery",
        markdown,
        write=args.write,
        command="wegwijs bench delivery --write",
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
    """Locust at 1-100 concurrent conversations through the web API (bot/bench/load.py)."""
    from bot.bench.load import LEVELS, format_markdown, run_load_benchmark

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
    from bot.bench.load import VARIANTS, format_tuning, run_tuning

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
    """Memory, start-up, training (--train) and language-decision cost (bench/resources.py)."""
    from bot.bench.resources import format_markdown, run_resources_benchmark

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

    from bot.bench.evaluate import confusion_png, format_markdown, run_evaluation
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


COMMANDS: dict[str, tuple[str, Callable[[Settings, argparse.Namespace], int]]] = {
    "build": ("generate training data and responses from faq/ and texts/", _build),
    "check-faq": ("check the knowledge base and texts (run before you commit)", _check_faq),
    "migrate": ("bring the database to the latest schema", _migrate),
    "train": ("train the Rasa model", _train),
    "run": ("run Rasa, the action server and the gateway together", _run),
    "serve": ("run the gateway only", _serve),
    "chat": ("chat in the terminal through the gateway", _chat),
    "feedback": ("show 'did this help?' answers per entry, least helpful first", _feedback),
    "bench": ("run a benchmark and print (or --write to BENCHMARKS.md) its numbers", _bench),
    "staff": ("list, show, claim, answer and close newcomers' tickets (staff)", _staff),
    "staff-user": ("create staff workspace accounts and their invitation links", _staff_user),
    "purge": ("delete conversations and closed tickets older than the retention periods", _purge),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="wegwijs", description="Wegwijs: the newcomers' assistant."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, _handler) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        if name == "train":
            command.add_argument(
                "--if-changed", action="store_true", help="skip when the model is current"
            )
        if name == "bench":
            command.add_argument(
                "what",
                choices=[
                    "language",
                    "eval",
                    "load",
                    "resources",
                    "delivery",
                    "safety",
                    "tuning",
                    "all",
                ],
            )
            command.add_argument("--url", help="eval: a running gateway instead of a new stack")
            command.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
            command.add_argument(
                "--seconds", type=float, default=60.0, help="load, tuning: seconds per level"
            )
            command.add_argument("--users", help="load, tuning: levels, e.g. 1,10,20,50,100")
            command.add_argument("--variants", help="tuning: which (default: all)")
            command.add_argument(
                "--quick", action="store_true", help="load, resources: a short smoke run"
            )
            command.add_argument(
                "--train", action="store_true", help="resources: also time a full training"
            )
        if name == "staff":
            from bot.staff_cli import add_arguments

            add_arguments(command)
        if name == "staff-user":
            from bot.staff.cli import add_arguments as add_staff_user_arguments

            add_staff_user_arguments(command)
        if name == "chat":
            command.add_argument("--url", help="the gateway (default: this machine's)")
            command.add_argument("--language", choices=["uk", "en", "nl"], help="a language hint")
    args = parser.parse_args(argv)
    return COMMANDS[args.command][1](load_settings(), args)


if __name__ == "__main__":
    sys.exit(main())

"""The Wegwijs command line: `wegwijs <command>` (or `python -m bot <command>`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.config import Settings, load_settings

if TYPE_CHECKING:
    from bot.faq.links import LinkResult


def _build(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.faq.build import write_all
    from bot.faq.schema import KnowledgeBaseError
    from bot.texts import TextsError

    try:
        changed = write_all(settings.project_root, settings.municipality)
    except (KnowledgeBaseError, TextsError) as error:
        print("The knowledge base has problems; fix them and run again:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    for path in changed:
        print(f"  wrote {path.relative_to(settings.project_root)}")
    print(f"Generated files are up to date (municipality: {settings.municipality}).")
    return 0


def _check_faq(settings: Settings, _args: argparse.Namespace) -> int:
    """Checks the national entries with every municipality's layer, and the texts with each."""
    from bot.faq.check import check_every_layer

    report = check_every_layer(settings.project_root)
    for problem in report.problems:
        print(f"  {problem}", file=sys.stderr)
    if report.problems:
        print(f"{len(report.problems)} problem(s): fix them before you commit.", file=sys.stderr)
        return 1
    for line in report.summary:
        print(line)
    _report_drafts(settings)
    return 0


def _report_drafts(settings: Settings) -> None:
    """Drafts never answer, so they never fail the check: it says what each still needs."""
    from bot.faq.drafts import load_drafts

    drafts = load_drafts(settings.effective_drafts_dir)
    if not drafts:
        return
    print(f"Drafts (never used to answer until finished and moved): {len(drafts)}")
    for draft in drafts:
        shown = draft.path.relative_to(settings.project_root) if draft.path.is_relative_to(
            settings.project_root) else draft.path  # fmt: skip
        print(f"  {shown}: {len(draft.missing)} thing(s) still needed")
        for item in draft.missing:
            print(f"    {item}")


def _check_links(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio

    from bot.faq.links import check_links, dead_link_report, links_by_entry
    from bot.faq.schema import load_knowledge_base

    kb = load_knowledge_base(settings.project_root / "faq", municipality=settings.municipality)
    cited_by = links_by_entry(kb)
    results = asyncio.run(check_links(cited_by, concurrency=args.concurrency, timeout=args.timeout))
    dead = dead_link_report(results, cited_by)
    for line in dead:
        print(f"  {line}", file=sys.stderr)
    print(f"{len(results) - len(dead)} of {len(results)} links answer; {len(dead)} dead.")
    if not args.no_save and not _save_links(settings, results):
        return 2
    return 1 if dead else 0


def _save_links(settings: Settings, results: list[LinkResult]) -> bool:
    """The run replaces the last one in the database, for the editors' review page."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db.models import utcnow
    from bot.faq.link_store import store_link_check

    try:
        store_link_check(settings.effective_database_url, results, checked_at=utcnow())
    except (SQLAlchemyError, OSError) as error:
        print(f"Not saved for the review page ({type(error).__name__}): run `wegwijs migrate`"
              " first, or pass --no-save.", file=sys.stderr)  # fmt: skip
        return False
    print("Saved for the editors' review page (/staff/insights/review).")
    return True


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.db.migrate import migrate

    settings.var_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.effective_database_url, root=settings.project_root)
    return 0


def _train(settings: Settings, args: argparse.Namespace) -> int:
    from bot.training import train

    train(settings.project_root, settings.model_dir, if_changed=args.if_changed)
    return 0


def _run(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.processes import run_all

    return run_all(settings)


def _serve(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.asgi import serve

    serve(settings)
    return 0


def _chat(settings: Settings, args: argparse.Namespace) -> int:
    from bot.chat_cli import run_chat

    return run_chat(args.url or settings.effective_public_url, language=args.language)


def _feedback(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.db.repository import feedback_summary
    from bot.db.session import run_session

    rows = run_session(settings.effective_database_url, feedback_summary)
    if not rows:
        print("No feedback yet.")
        return 0
    print(f"{'entry':<45} {'lang':<5} {'helped':>7} {'did not':>8}")
    for faq_id, language, helpful, unhelpful in rows:
        print(f"{faq_id:<45} {language:<5} {helpful:>7} {unhelpful:>8}")
    return 0


def _purge(settings: Settings, _args: argparse.Namespace) -> int:
    import asyncio

    from bot.privacy.erasure import purge_expired

    purged = asyncio.run(purge_expired(settings))
    print(
        f"Deleted what was older than {settings.retention_days} days (closed tickets: "
        f"{settings.closed_ticket_retention_days} days): {purged}."
    )
    return 0


def _insights_embed(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio

    from bot.db.session import make_engine, make_sessionmaker
    from bot.insights.missed import embed_missing
    from bot.semantics.embedder import shared_embedder

    async def main() -> int:
        engine = make_engine(settings.effective_database_url)
        try:
            return await embed_missing(
                make_sessionmaker(engine), shared_embedder(), limit=args.limit
            )
        finally:
            await engine.dispose()

    print(f"Embedded {asyncio.run(main())} missed questions for the editors' groups.")
    return 0


def _bench(settings: Settings, args: argparse.Namespace) -> int:
    from bench.measure.commands import run

    return run(settings, args)


def _staff(settings: Settings, args: argparse.Namespace) -> int:
    from bot.staff_cli.commands import run

    return run(settings, args)


def _staff_user(settings: Settings, args: argparse.Namespace) -> int:
    from bot.staff.cli import run

    return run(settings, args)


COMMANDS: dict[str, tuple[str, Callable[[Settings, argparse.Namespace], int]]] = {
    "build": ("generate training data and responses from faq/ and texts/", _build),
    "check-faq": ("check the knowledge base and texts (run before you commit)", _check_faq),
    "check-links": (
        "check that every source link answers (needs the internet); saved for the review page",
        _check_links,
    ),
    "migrate": ("bring the database to the latest schema", _migrate),
    "train": ("train the Rasa model", _train),
    "run": ("run Rasa, the action server and the gateway together", _run),
    "serve": ("run the gateway only", _serve),
    "chat": ("chat in the terminal through the gateway", _chat),
    "feedback": ("show 'did this help?' answers per entry, least helpful first", _feedback),
    "bench": ("run a benchmark and print (or --write to BENCHMARKS.md) its numbers", _bench),
    "staff": ("list, show, claim, answer and close newcomers' tickets (staff)", _staff),
    "staff-user": ("create staff workspace accounts and their invitation links", _staff_user),
    "insights-embed": (
        "embed missed questions for the editors' groups (the page does it too, bounded)",
        _insights_embed,
    ),
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
            from bench.measure.commands import add_arguments as add_bench_arguments

            add_bench_arguments(command)
        if name == "staff":
            from bot.staff_cli.commands import add_arguments

            add_arguments(command)
        if name == "check-links":
            command.add_argument(
                "--concurrency", type=int, default=8, help="links checked at the same time"
            )
            command.add_argument(
                "--timeout", type=float, default=15.0, help="seconds to wait for each link"
            )
            command.add_argument(
                "--no-save",
                action="store_true",
                help="only print the report; keep the last saved check for the review page",
            )
        if name == "staff-user":
            from bot.staff.cli import add_arguments as add_staff_user_arguments

            add_staff_user_arguments(command)
        if name == "insights-embed":
            command.add_argument(
                "--limit", type=int, default=100_000, help="at most this many, newest first"
            )
        if name == "chat":
            command.add_argument("--url", help="the gateway (default: this machine's)")
            command.add_argument("--language", choices=["uk", "en", "nl"], help="a language hint")
    args = parser.parse_args(argv)
    return COMMANDS[args.command][1](load_settings(), args)


if __name__ == "__main__":
    sys.exit(main())

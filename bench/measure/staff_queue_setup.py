"""The data and the server of the staff queue benchmark (bench/measure/staff_queue.py): a
migrated SQLite database with many tickets and agent accounts, and the workspace alone served
by uvicorn in a process of its own (so that its memory and CPU are its own).

Serve: ``python -m bench.measure.staff_queue_setup --database URL --port N --var DIR``
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert

from bot.db.migrate import migrate
from bot.db.models import Ticket, utcnow
from bot.db.session import enable_sqlite_pragmas, make_engine, make_sessionmaker
from bot.escalation.tickets import CODE_ALPHABET, CODE_LENGTH
from bot.faq.schema import TOPICS
from bot.staff.accounts import accept_invite, create_user
from bot.staff.roles import Role

PASSWORD = "lange zin om mee aan te melden"  # noqa: S105 (the benchmark's own accounts)
STATES = (("open", 0.15), ("claimed", 0.05), ("answered", 0.30), ("closed", 0.50))
LANGUAGES = (("uk", 0.6), ("en", 0.2), ("nl", 0.2))
CHANNELS = (("web", 0.55), ("telegram", 0.45))
QUESTIONS = {
    "uk": "Коли я отримаю лефгелд за цей місяць? Минулого разу гроші прийшли із запізненням.",
    "en": "When will I get my living allowance this month? Last time it came late.",
    "nl": "Wanneer krijg ik mijn leefgeld deze maand? De vorige keer was het te laat.",
}


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _codes(rng: random.Random, count: int) -> list[str]:
    made: set[str] = set()
    while len(made) < count:
        made.add("".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))
    return sorted(made, key=lambda _c: rng.random())


def ticket_rows(count: int, *, seed: int = 14, agents: int = 5) -> list[dict[str, Any]]:
    """`count` tickets of the last 60 days: mostly done, some waiting, some overdue, some
    urgent, in uk/en/nl on the web and Telegram."""
    rng = random.Random(seed)  # noqa: S311 (reproducible data, not secrets)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for number, code in enumerate(_codes(rng, count)):
        state = _pick(rng, STATES)
        language = _pick(rng, LANGUAGES)
        created = now - dt.timedelta(minutes=rng.uniform(0, 60 * 24 * 60))
        if state in ("open", "claimed"):  # waiting: of the last few days
            created = now - dt.timedelta(minutes=rng.uniform(0, 60 * 24 * 4))
        staff = f"Medewerker {rng.randrange(agents)} #web{rng.randrange(agents) + 1}"
        done = state in ("answered", "closed")
        rows.append(
            {
                "code": code,
                "conversation_id": f"bench-{number}",
                "channel": _pick(rng, CHANNELS),
                "language": language,
                "topic": rng.choice(TOPICS) if rng.random() < 0.85 else None,
                "question": QUESTIONS[language],
                "excerpt": "[]",
                "consent_at": created,
                # the promise: from yesterday to two working days ahead of now for the waiting
                "expected_by": created + dt.timedelta(hours=rng.uniform(4, 72)),
                "urgent": rng.random() < 0.04,
                "state": state,
                "claimed_by": staff if state != "open" else None,
                "claimed_at": created + dt.timedelta(minutes=20) if state != "open" else None,
                "answer": "Het leefgeld komt deze week." if done else None,
                "answered_by": staff if done else None,
                "answered_at": created + dt.timedelta(hours=3) if done else None,
                "answer_count": 1 if done else 0,
                "delivery_state": "delivered" if done else "none",
                "closed_at": created + dt.timedelta(days=2) if state == "closed" else None,
                "created_at": created,
                "updated_at": created,
            }
        )
    return rows


def fill_tickets(database_url: str, count: int) -> list[dict[str, Any]]:
    """Migrates the database and bulk-inserts `count` tickets (one transaction)."""
    migrate(database_url)
    engine = create_engine(database_url)
    enable_sqlite_pragmas(engine)
    rows = ticket_rows(count)
    with engine.begin() as connection:
        connection.execute(insert(Ticket), rows)
    engine.dispose()
    return rows


async def _make_agents(database_url: str, count: int) -> list[str]:
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    emails = []
    try:
        for number in range(count):  # as an admin invites and the employee accepts
            email = f"agent{number}@almere.example"
            async with sessions() as session, session.begin():
                made = await create_user(
                    session, email=email, name=f"Medewerker {number}", roles=(Role.agent,)
                )
                await accept_invite(session, token=made.token, password=PASSWORD, repeated=PASSWORD)
            emails.append(email)
    finally:
        await engine.dispose()
    return emails


def make_agents(database_url: str, count: int) -> list[str]:
    """`count` active agent accounts with PASSWORD; their e-mail addresses."""
    return asyncio.run(_make_agents(database_url, count))


def serve(database_url: str, port: int, var_dir: Path) -> None:
    """The workspace alone on a bare FastAPI (as tests/staff/support.py staff_app), no entry
    search (no model, no index)."""
    import uvicorn
    from fastapi import FastAPI

    from bot.config import Settings
    from bot.staff.app import include_staff

    settings = Settings(
        WEGWIJS_VAR_DIR=var_dir, STAFF_COOKIE_SECURE=False, DATABASE_URL=database_url
    )
    engine = make_engine(database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.state.sessions = make_sessionmaker(engine)
    include_staff(app, settings)
    app.state.entry_search = None
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", ws="none")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.measure.staff_queue_setup")
    parser.add_argument("--database", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--var", type=Path, required=True)
    args = parser.parse_args()
    serve(args.database, args.port, args.var)


if __name__ == "__main__":
    main()

"""The staff command line (`wegwijs staff ...`) against a migrated database: SQLite, and
PostgreSQL where reachable. Commands run through bot.__main__ as staff type them."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re
import string
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.__main__ import main
from bot.config import PROJECT_ROOT
from bot.db.migrate import migrate
from bot.db.models import Base, OutboxJob, Ticket
from bot.db.session import make_engine, make_sessionmaker
from bot.escalation import tickets
from bot.escalation.delivery import mark_delivered
from bot.escalation.tickets import ExcerptLine, display_code
from bot.staff_cli.commands import EXIT_DATABASE, EXIT_OK, EXIT_REFUSED

T = TypeVar("T")
WEGWIJS = PROJECT_ROOT / ".venvs" / "app" / "bin" / "wegwijs"
TEXTS = PROJECT_ROOT / "texts" / "staff_cli.yml"
SOURCE = PROJECT_ROOT / "bot" / "staff_cli"


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class Database:
    url: str

    def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async def main() -> T:
            engine = make_engine(self.url)
            try:
                async with make_sessionmaker(engine).begin() as session:
                    return await work(session)
            finally:
                await engine.dispose()

        return asyncio.run(main())

    def add(
        self,
        question: str,
        *,
        language: str = "uk",
        topic: str | None = "housing",
        age: dt.timedelta = dt.timedelta(minutes=5),
        urgent: bool = False,
        channel: str = "web",
        excerpt: tuple[ExcerptLine, ...] = (),
    ) -> str:
        async def make(session: AsyncSession) -> str:
            ticket = await tickets.create_ticket(
                session,
                conversation_id=f"conversation-{question[:20]}",
                channel=channel,
                language=language,
                question=question,
                excerpt=excerpt,
                topic=topic,
                urgent=urgent,
                now=now() - age,
            )
            ticket.expected_by = now() - age + dt.timedelta(hours=8)
            return ticket.code

        return self.run(make)

    def ticket(self, code: str) -> Ticket:
        async def get(session: AsyncSession) -> Ticket:
            return await tickets.get_ticket(session, code)

        return self.run(get)

    def jobs(self, code: str) -> list[tuple[str, str]]:
        async def get(session: AsyncSession) -> list[tuple[str, str]]:
            ticket = await tickets.get_ticket(session, code)
            rows = await session.execute(
                select(OutboxJob.kind, OutboxJob.dedupe_key)
                .where(OutboxJob.ticket_id == ticket.id)
                .order_by(OutboxJob.id)
            )
            return [(kind, key) for kind, key in rows]

        return self.run(get)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'staff.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    migrate(url)

    async def empty() -> None:
        engine = make_engine(url)
        async with engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                await connection.execute(table.delete())
        await engine.dispose()

    asyncio.run(empty())
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("WEGWIJS_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("STAFF_LANGUAGE", "nl")
    monkeypatch.setenv("TIMEZONE", "Europe/Amsterdam")
    for name in ("WEGWIJS_STAFF_NAME", "EDITOR", "VISUAL"):
        monkeypatch.delenv(name, raising=False)
    return Database(url)


@dataclass
class Outcome:
    code: int
    out: str
    err: str


Staff = Callable[..., Outcome]


@pytest.fixture
def staff(capsys: pytest.CaptureFixture[str]) -> Staff:
    def run(*argv: str) -> Outcome:
        code = main(["staff", *argv])
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


def table_rows(output: str) -> list[list[str]]:
    """The list's rows (without the header and the count), split on its column gaps."""
    lines = [line for line in output.splitlines()[1:] if re.match(r"^[ !][A-Z0-9]{3}-", line)]
    return [re.split(r"\s{2,}", line.strip()) for line in lines]


# --- list ------------------------------------------------------------------------------------


def test_list_shows_waiting_tickets_urgent_first_then_oldest(db: Database, staff: Staff) -> None:
    newer = db.add("Waar kan ik Nederlandse les volgen?", language="nl", topic="language")
    older = db.add(
        "Мій орендодавець каже, що я маю виїхати наступного тижня",
        age=dt.timedelta(hours=5, minutes=10),
    )
    urgent = db.add("No place to sleep tonight", language="en", topic=None, urgent=True)
    done = db.add("Answered already", language="en")
    db.run(lambda s: tickets.answer(s, code=done, staff="Anna", text="Done."))

    listed = staff("list")
    assert listed.code == EXIT_OK, listed.err
    rows = table_rows(listed.out)
    assert [row[0] for row in rows] == [
        "!" + display_code(urgent),
        display_code(older),
        display_code(newer),
    ]
    assert rows[1][1:6] == ["open", "uk", "housing", "5u 10m", "-"]
    assert rows[1][6].startswith("Мій орендодавець")
    assert rows[0][3] == "-"  # no topic guess
    assert listed.out.splitlines()[0].split() == [
        "code",
        "status",
        "taal",
        "onderwerp",
        "leeftijd",
        "door",
        "vraag",
    ]
    assert "3 ticket(s)." in listed.out
    assert "! = urgent" in listed.out


def test_list_filters_by_state_language_topic_and_age(db: Database, staff: Staff) -> None:
    housing_uk = db.add("Житло: де шукати квартиру?", age=dt.timedelta(days=3, hours=2))
    school_nl = db.add("Welke school voor mijn zoon?", language="nl", topic="school")
    answered = db.add("Hoe werkt de huurtoeslag?", language="nl", topic="money")
    db.run(lambda s: tickets.answer(s, code=answered, staff="Anna", text="Zo."))

    def codes(*argv: str) -> list[str]:
        outcome = staff("list", *argv)
        assert outcome.code == EXIT_OK, outcome.err
        return [row[0].lstrip("!") for row in table_rows(outcome.out)]

    assert codes("--language", "nl") == [display_code(school_nl)]
    assert codes("--topic", "housing") == [display_code(housing_uk)]
    assert codes("--older-than", "2d") == [display_code(housing_uk)]
    assert codes("--older-than", "30m") == [display_code(housing_uk)]
    assert codes("--state", "answered") == [display_code(answered)]
    assert set(codes("--state", "open", "--state", "answered")) == {
        display_code(housing_uk),
        display_code(school_nl),
        display_code(answered),
    }
    assert len(codes("--state", "all")) == 3
    nothing = staff("list", "--language", "en")
    assert nothing.code == EXIT_OK
    assert "Geen tickets gevonden" in nothing.out
    age = staff("list", "--older-than", "soon")
    assert age.code == EXIT_REFUSED
    assert "30m, 2h of 3d" in age.err


# --- show ------------------------------------------------------------------------------------


def test_show_gives_staff_everything_with_the_language_first(db: Database, staff: Staff) -> None:
    code = db.add(
        "Мій орендодавець каже, що я маю виїхати. Що робити?",
        age=dt.timedelta(hours=2),
        excerpt=(
            ExcerptLine("newcomer", "Мене виселяють"),
            ExcerptLine("bot", "Вибачте, я не зрозумів."),
        ),
    )
    shown = staff("show", code.lower())  # typed in lower case, without the dash
    assert shown.code == EXIT_OK, shown.err
    lines = shown.out.splitlines()
    assert lines[0] == f"Ticket {display_code(code)}: open"
    assert re.match(r"^Taal van de nieuwkomer:\s+Oekraïens \(uk\)\. Antwoord in", lines[2])
    assert "Kanaal:" in shown.out
    assert "website (chat)" in shown.out
    assert re.search(r"Gevraagd:\s+\d{4}-\d\d-\d\d \d\d:\d\d \(2u 00m geleden\)", shown.out)
    assert re.search(r"Beloofd antwoord uiterlijk:\s+\d{4}-\d\d-\d\d \d\d:\d\d\n", shown.out)
    assert re.search(r"Geclaimd door:\s+niemand", shown.out)
    assert re.search(r"Bezorging van het antwoord:\s+nog geen antwoord", shown.out)
    assert "Vraag:\n  Мій орендодавець каже, що я маю виїхати. Що робити?" in shown.out
    assert "  nieuwkomer: Мене виселяють\n  bot: Вибачте, я не зрозумів." in shown.out
    assert f"wegwijs staff claim {display_code(code)}" in shown.out

    db.run(lambda s: tickets.answer(s, code=code, staff="Anna de Vries", text="Bel het Loket."))
    answered = staff("show", display_code(code))
    assert re.search(r"Beantwoord door:\s+Anna de Vries op \d{4}-", answered.out)
    assert re.search(r"Bezorging van het antwoord:\s+onderweg naar de nieuwkomer", answered.out)
    assert "Antwoord:\n  Bel het Loket." in answered.out

    unknown = staff("show", "AAA-AAA")
    assert unknown.code == EXIT_REFUSED
    assert "Er is geen ticket met de code AAA-AAA" in unknown.err
    assert "wegwijs staff list --state all" in unknown.err


def test_output_follows_the_staff_language(
    db: Database,
    staff: Staff,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STAFF_LANGUAGE", "en")
    code = db.add("Де знайти житло?")
    shown = staff("show", code)
    assert "Newcomer's language:" in shown.out
    assert "Ukrainian (uk). Answer in Dutch or English" in shown.out
    assert staff("list").out.splitlines()[0].split()[:3] == ["code", "state", "lang"]


# --- claim, answer, unclaim, close -----------------------------------------------------------


def test_claim_answer_and_close(db: Database, staff: Staff) -> None:
    code = db.add("Waar vraag ik een DigiD aan?", language="nl")
    claimed = staff("claim", code, "--as", "Anna")
    assert claimed.code == EXIT_OK, claimed.err
    assert "is nu van jou (Anna)" in claimed.out
    assert (db.ticket(code).state, db.ticket(code).claimed_by) == ("claimed", "Anna")
    assert staff("claim", code, "--as", "Anna").code == EXIT_OK  # twice: nothing changes

    answered = staff("answer", code, "--as", "Anna", "--text", "  Op digid.nl.  ")
    assert answered.code == EXIT_OK, answered.err
    assert "De gateway bezorgt het" in answered.out
    ticket = db.ticket(code)
    assert (ticket.state, ticket.answer, ticket.answered_by) == ("answered", "Op digid.nl.", "Anna")
    assert ticket.delivery_state == "pending"
    ticket_id = ticket.id
    assert db.jobs(code) == [
        ("notify_staff", f"notify_staff:{ticket_id}"),
        ("deliver_answer", f"deliver_answer:{ticket_id}:1"),
    ]

    closed = staff("close", code)
    assert closed.code == EXIT_OK, closed.err
    assert db.ticket(code).state == "closed"


def test_an_answered_ticket_is_not_answered_twice(db: Database, staff: Staff) -> None:
    code = db.add("Hoe werkt huurtoeslag?", language="nl")
    assert staff("answer", code, "--as", "Anna", "--text", "Zo werkt het.").code == EXIT_OK
    again = staff("answer", code, "--as", "Bram", "--text", "Anders.")
    assert again.code == EXIT_REFUSED
    assert re.search(
        rf"Ticket {display_code(code)} is al beantwoord door Anna op \d{{4}}-\d\d-\d\d \d\d:\d\d",
        again.err,
    )
    assert "er is niets verstuurd" in again.err
    assert db.ticket(code).answer == "Zo werkt het."
    assert len(db.jobs(code)) == 2  # no second delivery

    claim = staff("claim", code, "--as", "Bram")
    assert claim.code == EXIT_REFUSED
    assert "al beantwoord door Anna" in claim.err


def test_an_answer_that_never_arrived_can_be_sent_again(db: Database, staff: Staff) -> None:
    code = db.add("Hoe werkt huurtoeslag?", language="nl")
    assert staff("answer", code, "--as", "Anna", "--text", "Zo werkt het.").code == EXIT_OK

    async def refused_for_good(session: AsyncSession) -> None:
        ticket = await tickets.get_ticket(session, code)
        await mark_delivered(ticket.id, state="failed")(session)

    db.run(refused_for_good)
    assert db.jobs(code)[-1][0] == "notify_undelivered"  # staff are told
    again = staff("answer", code, "--as", "Bram", "--text", "Nog een keer.")
    assert again.code == EXIT_OK, again.err
    ticket = db.ticket(code)
    assert (ticket.answer, ticket.answer_count, ticket.delivery_state) == (
        "Nog een keer.",
        2,
        "pending",
    )


def test_a_colleagues_claim_is_respected_unless_forced(db: Database, staff: Staff) -> None:
    code = db.add("Kinderopvang?", language="nl")
    assert staff("claim", code, "--as", "Anna").code == EXIT_OK
    taken = staff("claim", code, "--as", "Bram")
    assert taken.code == EXIT_REFUSED
    assert "al geclaimd door Anna" in taken.err
    assert "--force" in taken.err
    answer = staff("answer", code, "--as", "Bram", "--text", "Ja.")
    assert answer.code == EXIT_REFUSED
    assert db.ticket(code).state == "claimed"
    forced = staff("claim", code, "--as", "Bram", "--force")
    assert forced.code == EXIT_OK
    assert db.ticket(code).claimed_by == "Bram"


def test_unclaim_and_the_states_that_refuse_it(db: Database, staff: Staff) -> None:
    code = db.add("Zorgverzekering?", language="nl")
    not_claimed = staff("unclaim", code)
    assert not_claimed.code == EXIT_REFUSED
    assert "is niet geclaimd (status: open)" in not_claimed.err
    assert staff("claim", code, "--as", "Anna").code == EXIT_OK
    assert staff("unclaim", code).code == EXIT_OK
    ticket = db.ticket(code)
    assert (ticket.state, ticket.claimed_by) == ("open", None)

    assert staff("close", code).code == EXIT_OK
    for argv in (("close", code), ("claim", code, "--as", "Anna"), ("unclaim", code)):
        refused = staff(*argv)
        assert refused.code == EXIT_REFUSED, argv
        assert f"Ticket {display_code(code)} is gesloten (op " in refused.err
    refused = staff("answer", code, "--as", "Anna", "--text", "Te laat.")
    assert refused.code == EXIT_REFUSED
    assert "is gesloten" in refused.err


def test_staff_must_say_who_they_are(
    db: Database,
    staff: Staff,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code = db.add("Wie helpt mij?", language="nl")
    for argv in (("claim", code), ("answer", code, "--text", "Ik.")):
        refused = staff(*argv)
        assert refused.code == EXIT_REFUSED
        assert "--as NAAM" in refused.err
        assert "WEGWIJS_STAFF_NAME" in refused.err
    assert db.ticket(code).state == "open"
    monkeypatch.setenv("WEGWIJS_STAFF_NAME", "Carla")
    assert staff("claim", code).code == EXIT_OK
    assert db.ticket(code).claimed_by == "Carla"


def test_the_answer_from_stdin_or_the_editor(
    db: Database,
    staff: Staff,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    piped = db.add("Vraag een", language="nl")
    monkeypatch.setattr(sys, "stdin", io.StringIO("Regel een\nRegel twee\n"))
    assert staff("answer", piped, "--as", "Anna").code == EXIT_OK
    assert db.ticket(piped).answer == "Regel een\nRegel twee"

    empty = db.add("Vraag twee", language="nl")
    monkeypatch.setattr(sys, "stdin", io.StringIO("   \n"))
    refused = staff("answer", empty, "--as", "Anna")
    assert refused.code == EXIT_REFUSED
    assert "Het antwoord is leeg" in refused.err
    assert db.ticket(empty).state == "open"

    # A terminal: the editor gets a template with the question in comment lines.
    edited = db.add("Vraag drie: hoe?", language="nl")
    editor = tmp_path / "editor.sh"
    editor.write_text(
        '#!/bin/sh\ngrep -q "^#   Vraag drie: hoe?" "$1" || exit 3\necho "Zo dus." >> "$1"\n'
    )
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.setattr(sys, "stdin", _Terminal())
    assert staff("answer", edited, "--as", "Anna").code == EXIT_OK
    assert db.ticket(edited).answer == "Zo dus."

    monkeypatch.delenv("EDITOR")
    no_source = staff("answer", db.add("Vraag vier", language="nl"), "--as", "Anna")
    assert no_source.code == EXIT_REFUSED
    assert "$EDITOR" in no_source.err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_database_that_cannot_be_reached_is_exit_code_2(
    staff: Staff,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://staff:secret@127.0.0.1:9/wegwijs")
    monkeypatch.setenv("STAFF_LANGUAGE", "en")
    failed = staff("list")
    assert failed.code == EXIT_DATABASE
    assert "The database cannot be reached" in failed.err
    assert "secret" not in failed.err


def test_a_real_process_answers_from_a_pipe_with_exit_codes(db: Database) -> None:
    code = db.add("Echt proces?", language="nl")
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": db.url,
        "WEGWIJS_VAR_DIR": str(Path(db.url.removeprefix("sqlite:///")).parent)
        if db.url.startswith("sqlite")
        else "/tmp",
        "STAFF_LANGUAGE": "nl",
        "WEGWIJS_STAFF_NAME": "Dirk",
    }
    done = subprocess.run(
        [str(WEGWIJS), "staff", "answer", code],
        input="Ja, dat kan.\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (db.ticket(code).answer, db.ticket(code).answered_by) == ("Ja, dat kan.", "Dirk")
    refused = subprocess.run(
        [str(WEGWIJS), "staff", "answer", code, "--text", "Nog eens"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert refused.returncode == 1
    assert "al beantwoord door Dirk" in refused.stderr


# --- the texts -------------------------------------------------------------------------------


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_text_is_in_dutch_and_english_with_the_same_placeholders() -> None:
    table = yaml.safe_load(TEXTS.read_text(encoding="utf-8"))
    problems = []
    for section, entries in table.items():
        if section == "units":
            assert set(entries) == {"nl", "en"}
            continue
        for key, languages in entries.items():
            if set(languages) != {"nl", "en"}:
                problems.append(f"{section}.{key}: {sorted(languages)}")
                continue
            nl, en = languages["nl"], languages["en"]
            if isinstance(nl, str) and _placeholders(nl) != _placeholders(en):
                problems.append(f"{section}.{key}: placeholders differ")
    assert problems == []


def test_every_text_the_cli_uses_exists() -> None:
    messages = yaml.safe_load(TEXTS.read_text(encoding="utf-8"))["messages"]
    source = "".join(path.read_text(encoding="utf-8") for path in sorted(SOURCE.glob("*.py")))
    used = set(re.findall(r"\btexts\(\s*\"([a-z_]+)\"", source))
    used |= set(re.findall(r"texts\('([a-z_]+)'", source))
    assert len(used) > 20
    assert used - set(messages) == set()

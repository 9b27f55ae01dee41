"""GET /staff/queue, /staff/queue/rows and /staff/events: agents and admins see the queue in
the order of work, filtered as asked, and follow its changes live; anyone else is refused
without a ticket code, and the page is audit-logged without any question text."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Ticket, utcnow
from bot.db.staff_models import AuditEntry
from bot.escalation import desk, tickets
from bot.escalation.queue_view import QueueFilter, changes_since, queue_rows
from bot.escalation.tickets import ExcerptLine
from bot.staff.roles import Role
from bot.staff.routes import queue
from tests.staff.support import StaffSite, make_staff, sign_in

Sessions = async_sessionmaker[AsyncSession]
QUESTION = "Waar kan ik wonen met mijn kinderen?"
SCRIPT = {"accept": "*/*", "x-requested-with": "fetch"}
STREAM = {"accept": "text/event-stream"}
ROW_CODE = re.compile(r'href="/staff/tickets/([A-Z0-9]+)"')


async def ticket(
    sessions: Sessions,
    *,
    language: str = "uk",
    topic: str | None = "housing",
    channel: str = "web",
    urgent: bool = False,
    expected_in: dt.timedelta | None = None,
    age: dt.timedelta = dt.timedelta(minutes=10),
) -> Ticket:
    now = utcnow()
    async with sessions.begin() as session:
        made = await tickets.create_ticket(
            session, conversation_id="we-1", channel=channel, language=language,
            question=QUESTION, excerpt=[ExcerptLine("newcomer", QUESTION)], topic=topic,
            urgent=urgent, now=now - age,
        )  # fmt: skip
        made.expected_by = now + expected_in if expected_in is not None else None
    return made


async def claim(sessions: Sessions, made: Ticket, staff: str) -> None:
    async with sessions.begin() as session:
        await desk.claim(session, ticket_id=made.id, staff=staff)


async def signed_in(client: httpx.AsyncClient, db: Sessions, **account: Any) -> int:
    user = await make_staff(db, **account)
    assert (await sign_in(client, email=user.email)).status_code == 303
    return user.id


def codes_in(html: str) -> list[str]:
    return ROW_CODE.findall(html)


async def audit(db: Sessions) -> list[AuditEntry]:
    async with db() as session:
        found = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "queue_viewed").order_by(AuditEntry.id)
        )
        return list(found)


async def test_without_a_session_the_queue_is_refused(
    client: httpx.AsyncClient, db: Sessions
) -> None:
    made = await ticket(db)
    page = await client.get("/staff/queue")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/staff/sign-in")
    rows = await client.get("/staff/queue/rows", headers=SCRIPT)
    assert rows.status_code == 401
    events = await client.get("/staff/events", headers=STREAM)
    assert events.status_code == 401
    assert events.json() == {"error": "sign_in_required"}
    for answer in (page, rows, events):
        assert made.code not in answer.text


async def test_an_editor_without_agent_or_admin_role_gets_403(
    client: httpx.AsyncClient, db: Sessions
) -> None:
    made = await ticket(db)
    await signed_in(client, db, email="ed@almere.example", roles=[Role.editor])
    page = await client.get("/staff/queue")
    assert page.status_code == 403
    assert "Geen toegang" in page.text
    assert 'href="/staff/queue"' not in page.text  # no link in the menu either
    rows = await client.get("/staff/queue/rows", headers=SCRIPT)
    events = await client.get("/staff/events", headers=STREAM)
    assert (rows.status_code, events.status_code) == (403, 403)
    for answer in (page, rows, events):
        assert made.code not in answer.text
    assert await audit(db) == []


async def test_the_queue_is_in_the_order_of_work(client: httpx.AsyncClient, db: Sessions) -> None:
    hour = dt.timedelta(hours=1)
    later = await ticket(db, expected_in=3 * hour)
    no_promise = await ticket(db, age=5 * hour)
    sooner = await ticket(db, expected_in=hour)
    late = await ticket(db, expected_in=-hour)
    urgent = await ticket(db, urgent=True, expected_in=5 * hour)
    answered = await ticket(db, expected_in=-2 * hour)
    async with db.begin() as session:
        await tickets.answer(session, code=answered.code, staff="Bas", text="Bij de gemeente.")
    await signed_in(client, db, roles=[Role.agent])
    page = await client.get("/staff/queue")
    assert page.status_code == 200
    expected = [urgent.code, late.code, sooner.code, later.code, no_promise.code]
    assert codes_in(page.text) == expected
    assert "Dringend" in page.text
    assert "Te laat" in page.text
    assert "5 tickets" in page.text
    assert QUESTION not in page.text
    rows = await client.get("/staff/queue/rows", headers=SCRIPT)
    assert rows.status_code == 200
    assert codes_in(rows.text) == expected
    assert "<html" not in rows.text


async def test_each_filter(client: httpx.AsyncClient, db: Sessions) -> None:
    uk = await ticket(db, language="uk", topic="housing", channel="telegram")
    en = await ticket(db, language="en", topic="health", channel="web")
    mine = await ticket(db, language="nl", topic="health", channel="web")
    theirs = await ticket(db, language="nl", topic="work", channel="web")
    closed = await ticket(db, language="nl", topic="work", channel="web")
    user_id = await signed_in(client, db, name="Anna de Vries", roles=[Role.agent])
    await claim(db, mine, f"Anna (oude naam) #web{user_id}")  # renamed since: still her
    await claim(db, theirs, f"Bas #web{user_id + 1}")
    async with db.begin() as session:
        await tickets.close(session, code=closed.code)

    async def shown(**params: str) -> set[str]:
        answer = await client.get("/staff/queue/rows", params=params, headers=SCRIPT)
        assert answer.status_code == 200
        return set(codes_in(answer.text))

    assert await shown() == {uk.code, en.code, mine.code, theirs.code}
    assert await shown(language="en") == {en.code}
    assert await shown(topic="health") == {en.code, mine.code}
    assert await shown(channel="telegram") == {uk.code}
    assert await shown(state="claimed") == {mine.code, theirs.code}
    assert await shown(state="open") == {uk.code, en.code}
    assert await shown(state="closed") == {closed.code}
    assert await shown(state="all") == {uk.code, en.code, mine.code, theirs.code, closed.code}
    assert await shown(mine="1") == {mine.code}
    assert await shown(language="xx", state="nonsense") == await shown()
    empty = await client.get("/staff/queue", params={"language": "en", "topic": "work"})
    assert "Er zijn geen tickets met deze filters." in empty.text
    assert "0 tickets" in empty.text


async def test_the_page_is_audited_without_question_or_codes(
    client: httpx.AsyncClient, db: Sessions
) -> None:
    made = await ticket(db)
    user_id = await signed_in(client, db, roles=[Role.admin])
    assert (await client.get("/staff/queue", params={"language": "uk"})).status_code == 200
    assert (await client.get("/staff/queue/rows", headers=SCRIPT)).status_code == 200
    [entry] = await audit(db)
    assert entry.actor_id == user_id
    assert entry.detail == {"filters": {"language": "uk"}, "shown": 1}
    assert QUESTION not in json.dumps(entry.detail)
    assert made.code not in json.dumps(entry.detail)


async def test_queue_rows_with_ten_thousand_tickets(db: Sessions) -> None:
    now = utcnow()
    async with db.begin() as session:
        session.add_all(
            Ticket(
                code=f"T{index:05d}", conversation_id="we-1", channel="web", language="uk",
                question=QUESTION, consent_at=now, urgent=index % 97 == 0, state="open",
                created_at=now - dt.timedelta(minutes=index),
                expected_by=now + dt.timedelta(minutes=index - 500) if index % 3 else None,
            )
            for index in range(10_000)
        )  # fmt: skip
    async with db() as session:
        started = asyncio.get_running_loop().time()
        rows = await queue_rows(session, QueueFilter(), me="Anna #web1", now=now)
        took = asyncio.get_running_loop().time() - started
    assert len(rows) == 200
    assert took < 1.0
    assert all(row.urgent for row in rows[:100])
    firsts = [row for row in rows if not row.urgent]
    assert all(row.overdue for row in firsts)


async def test_changes_since_follows_the_events(db: Sessions) -> None:
    async with db() as session:
        assert await changes_since(session, 0) == ([], 0)
    made = await ticket(db)
    await claim(db, made, "Anna de Vries #web3")
    async with db() as session:
        changes, cursor = await changes_since(session, 0)
        assert [(c.kind, c.code, c.actor_name) for c in changes] == [
            ("created", made.code, None),
            ("claimed", made.code, "Anna de Vries"),
        ]
        assert changes[0].display_code == tickets.display_code(made.code)
        assert await changes_since(session, cursor) == ([], cursor)


@pytest.fixture
def fast_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queue, "POLL_SECONDS", 0.1)
    monkeypatch.setattr(queue, "HEARTBEAT_SECONDS", 0.5)


@pytest.fixture
def live(tmp_path: Path, fast_stream: None) -> Iterator[StaffSite]:
    with StaffSite(tmp_path) as running:
        yield running


def read_events(
    base: str, cookies: httpx.Cookies, headers: dict[str, str], *, until: int, seconds: float = 8
) -> list[tuple[str, str, str]]:
    """(id, event, data) of a stream's first `until` events (heartbeats counted apart)."""
    found: list[tuple[str, str, str]] = []
    with (
        httpx.Client(base_url=base, cookies=cookies, timeout=seconds) as http,
        http.stream("GET", "/staff/events", headers={**STREAM, **headers}) as answer,
    ):
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["x-accel-buffering"] == "no"
        block: dict[str, str] = {}
        for line in answer.iter_lines():
            if line == "":
                if "event" in block:
                    found.append((block.get("id", ""), block["event"], block.get("data", "")))
                block = {}
                if len(found) >= until:
                    break
            elif not line.startswith(":"):
                name, _, value = line.partition(": ")
                block[name] = value
    return found


def signed_in_cookies(site: StaffSite, **account: Any) -> httpx.Cookies:
    user = site.add_staff(**account)

    async def go() -> httpx.Cookies:
        async with httpx.AsyncClient(base_url=site.url, headers={"accept": "text/html"}) as http:
            assert (await sign_in(http, email=user.email)).status_code == 303
            return http.cookies

    return asyncio.run(go())


def test_the_event_stream_sends_new_changes_and_resumes(live: StaffSite) -> None:
    cookies = signed_in_cookies(live, roles=[Role.agent])
    early = live.run(ticket)  # before connecting: not sent without a cursor
    made: list[Ticket] = []

    def later() -> None:
        threading.Event().wait(0.8)
        made.append(live.run(ticket))
        made.append(live.run(ticket))

    maker = threading.Thread(target=later)
    maker.start()
    events = read_events(live.url, cookies, {}, until=2)
    maker.join()
    datas = [json.loads(data) for _id, _event, data in events]
    assert [event for _id, event, _data in events] == ["ticket", "ticket"]
    assert [data["code"] for data in datas] == [made[0].code, made[1].code]
    assert datas[0]["kind"] == "created"
    assert datas[0]["display_code"] == tickets.display_code(made[0].code)
    assert early.code not in {data["code"] for data in datas}
    # Resuming after the first event: the second comes again, the first does not.
    first_id = events[0][0]
    resumed = read_events(live.url, cookies, {"last-event-id": first_id}, until=1)
    assert json.loads(resumed[0][2])["code"] == made[1].code


def test_last_event_id_wins_over_after(live: StaffSite) -> None:
    cookies = signed_in_cookies(live, roles=[Role.admin])
    first = live.run(ticket)
    second = live.run(ticket)

    def code_after(**params: str) -> str:
        headers = {"last-event-id": params.pop("header")} if "header" in params else {}
        with (
            httpx.Client(base_url=live.url, cookies=cookies, timeout=5) as http,
            http.stream(
                "GET", "/staff/events", params=params, headers={**STREAM, **headers}
            ) as answer,
        ):
            for line in answer.iter_lines():
                if line.startswith("data: "):
                    return str(json.loads(line[6:])["code"])
        raise AssertionError("no event")

    assert code_after(after="0") == first.code
    assert code_after(after="0", header="1") == second.code


def test_the_stream_ends_with_signed_out_when_the_session_goes(
    live: StaffSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue, "SESSION_CHECK_SECONDS", 0.3)
    cookies = signed_in_cookies(live, roles=[Role.agent])

    async def sign_everyone_out(sessions: Sessions) -> None:
        from bot.db.staff_models import StaffSession

        async with sessions.begin() as session:
            for row in await session.scalars(select(StaffSession)):
                await session.delete(row)

    def later() -> None:
        threading.Event().wait(0.5)
        live.run(sign_everyone_out)

    remover = threading.Thread(target=later)
    remover.start()
    events = read_events(live.url, cookies, {}, until=1)
    remover.join()
    assert [event for _id, event, _data in events] == ["signed_out"]


def test_a_quiet_stream_sends_heartbeats(live: StaffSite) -> None:
    cookies = signed_in_cookies(live, roles=[Role.agent])
    with (
        httpx.Client(base_url=live.url, cookies=cookies, timeout=5) as http,
        http.stream("GET", "/staff/events", headers=STREAM) as answer,
    ):
        for line in answer.iter_lines():
            if line == ": heartbeat":
                break

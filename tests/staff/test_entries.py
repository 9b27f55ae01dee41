"""GET /staff/api/entries: agents and editors search the knowledge base; anyone else is
refused without data, and every search is in the audit log without what was typed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.staff_models import AuditEntry, StaffUser
from bot.faq.search import EntrySearch
from bot.semantics.embedder import Vectors
from bot.staff.roles import Role
from bot.staff.routes import entries
from tests.kbsearch_support import ROOT, entry_search
from tests.staff.support import make_staff, sign_in

__all__ = ["entry_search"]
Sessions = async_sessionmaker[AsyncSession]
JSON = {"accept": "application/json", "x-requested-with": "fetch"}
QUESTION = "у ребенка болят зубы"


async def signed_in(
    app: FastAPI, client: httpx.AsyncClient, search: EntrySearch, db: Sessions, **account: Any
) -> StaffUser:
    """An account made with make_staff's keywords, signed in on `client`; the app searches
    with `search`."""
    app.state.entry_search = search
    user = await make_staff(db, **account)
    assert (await sign_in(client, email=user.email)).status_code == 303
    return user


async def searches(db: Sessions) -> list[AuditEntry]:
    async with db() as session:
        found = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "entries_searched")
            .order_by(AuditEntry.id)
        )
        return list(found)


async def test_without_a_session_the_search_is_refused(
    app: FastAPI, client: httpx.AsyncClient, entry_search: EntrySearch, db: Sessions
) -> None:
    app.state.entry_search = entry_search
    answer = await client.get("/staff/api/entries", params={"q": "BSN"}, headers=JSON)
    assert answer.status_code == 401
    assert "registration_bsn" not in answer.text
    assert await searches(db) == []


async def test_an_admin_without_agent_or_editor_role_gets_403(
    app: FastAPI, client: httpx.AsyncClient, entry_search: EntrySearch, db: Sessions
) -> None:
    await signed_in(app, client, entry_search, db, email="eva@almere.example", roles=[Role.admin])
    answer = await client.get("/staff/api/entries", params={"q": "BSN"}, headers=JSON)
    assert answer.status_code == 403
    assert answer.json() == {"error": "forbidden", "reason": "role"}
    assert await searches(db) == []


async def test_an_agent_finds_entries_in_the_newcomers_language(
    app: FastAPI, client: httpx.AsyncClient, entry_search: EntrySearch, db: Sessions
) -> None:
    agent = await signed_in(app, client, entry_search, db, roles=[Role.agent])
    answer = await client.get(
        "/staff/api/entries", params={"q": QUESTION, "lang": "uk"}, headers=JSON
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["language"] == "uk"
    first = body["hits"][0]
    assert first["entry_id"] == "health_dentist"
    assert first["topic"] == "health"
    assert first["by_meaning"] is True
    expected = next(e for e in entry_search.index().entries if e.id == "health_dentist")
    assert first["title"] == expected.title.uk
    assert set(first) == {
        "entry_id", "topic", "title", "snippet", "score", "by_meaning", "by_words",
    }  # fmt: skip
    (logged,) = await searches(db)
    assert logged.actor_id == agent.id
    assert logged.address == "203.0.113.0"
    assert logged.detail is not None
    assert logged.detail["language"] == "uk"
    assert logged.detail["found"][0] == "health_dentist"
    assert QUESTION not in str(logged.detail)  # staff paste newcomers' questions here


async def test_an_editor_searches_in_their_own_language_by_default(
    app: FastAPI, client: httpx.AsyncClient, entry_search: EntrySearch, db: Sessions
) -> None:
    await signed_in(app, client, entry_search, db, roles=[Role.editor], language="en")
    answer = await client.get("/staff/api/entries", params={"q": "BSN"}, headers=JSON)
    assert answer.status_code == 200
    assert answer.json()["language"] == "en"
    bsn = next(e for e in entry_search.index().entries if e.id == "registration_bsn")
    assert answer.json()["hits"][0]["title"] == bsn.title.en


async def test_bad_parameters_are_refused(
    app: FastAPI, client: httpx.AsyncClient, entry_search: EntrySearch, db: Sessions
) -> None:
    await signed_in(app, client, entry_search, db, roles=[Role.agent])
    for params in ({"q": "BSN", "lang": "de"}, {"q": "x" * 501}, {"q": "BSN", "limit": "0"}):
        answer = await client.get("/staff/api/entries", params=params, headers=JSON)
        assert answer.status_code == 422, params
    assert await searches(db) == []
    empty = await client.get("/staff/api/entries", params={"q": ""}, headers=JSON)
    assert empty.json()["hits"] == []


async def test_the_workspace_makes_one_lazy_search(app: FastAPI) -> None:
    made = app.state.entry_search
    assert isinstance(made, EntrySearch)
    assert not made.built  # nothing is embedded before the first search


class SlowEmbedder:
    """Only here: an embedder that waits for the test, to see a build under way (the real
    one takes minutes without its cache). Its vectors say nothing: the question asked lies
    at right angles to every text of the knowledge base, so only words can find an entry."""

    dimension = 384

    def __init__(self, asked: str) -> None:
        self.release = threading.Event()
        self.asked = asked

    def _vectors(self, texts: Sequence[str]) -> Vectors:
        self.release.wait(timeout=30)
        axes = [0 if text == self.asked else 1 for text in texts]
        unit: Vectors = np.eye(self.dimension, dtype=np.float32)[axes]
        return unit

    def queries(self, texts: Sequence[str]) -> Vectors:
        return self._vectors(texts)

    def passages(self, texts: Sequence[str]) -> Vectors:
        return self._vectors(texts)


async def test_while_the_index_is_built_the_page_is_told_to_ask_again(
    app: FastAPI, client: httpx.AsyncClient, db: Sessions, tmp_path: Path, monkeypatch: Any
) -> None:
    slow = SlowEmbedder(asked="BSN")
    monkeypatch.setattr(entries, "BUILD_WAIT_SECONDS", 0.2)
    building = EntrySearch(ROOT, slow, cache_dir=tmp_path / "cache")
    await signed_in(app, client, building, db, roles=[Role.agent])
    answer = await client.get("/staff/api/entries", params={"q": "BSN"}, headers=JSON)
    assert answer.status_code == 503
    assert answer.json() == {"error": "index_building"}
    assert answer.headers["retry-after"] == "30"
    slow.release.set()
    assert await asyncio.to_thread(app.state.entry_search.wait_built, 30)
    ready = await client.get("/staff/api/entries", params={"q": "BSN"}, headers=JSON)
    assert ready.status_code == 200
    hits = ready.json()["hits"]
    assert "registration_bsn" in [hit["entry_id"] for hit in hits]
    assert hits[0]["entry_id"] == "registration_bsn"
    assert all(hit["by_words"] and not hit["by_meaning"] for hit in hits)

"""Helpers for the staff workspace's tests (also used by the queue's): accounts with roles,
a small app with only the workspace on a real database, signing in over HTTP and in a
real browser."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.db.models import as_utc
from bot.db.staff_models import StaffUser
from bot.stack import free_port
from bot.staff.accounts import accept_invite, create_user
from bot.staff.app import include_staff
from bot.staff.roles import Role

PASSWORD = "lange zin om mee aan te melden"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')
FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


async def make_staff(
    sessions: async_sessionmaker[AsyncSession],
    *,
    name: str = "Anna de Vries",
    email: str = "anna@almere.example",
    password: str = PASSWORD,
    roles: Iterable[Role | str] = (Role.agent,),
    language: str = "nl",
) -> StaffUser:
    """An active account with a password, made the way an admin and the employee would
    (create + accept the invitation)."""
    async with sessions() as session, session.begin():
        made = await create_user(session, email=email, name=name, roles=roles, language=language)
        return await accept_invite(session, token=made.token, password=password, repeated=password)


def staff_settings(var_dir: Path, **values: Any) -> Settings:
    """Settings for a workspace over plain http on 127.0.0.1 (cookies without Secure)."""
    return Settings(**{"WEGWIJS_VAR_DIR": var_dir, "STAFF_COOKIE_SECURE": False, **values})


def staff_app(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> FastAPI:
    """Only the workspace, on `sessions` (the gateway's lifespan puts them on app.state)."""
    app = FastAPI()
    app.state.sessions = sessions
    include_staff(app, settings)
    return app


def csrf_of(html: str) -> str:
    found = CSRF_META.search(html)
    assert found is not None, "no csrf-token meta"
    return found.group(1)


def form_token_of(html: str) -> str:
    found = FORM_TOKEN.search(html)
    assert found is not None, "no csrf_token field"
    return found.group(1)


async def sign_in(
    client: httpx.AsyncClient, *, email: str, password: str = PASSWORD
) -> httpx.Response:
    """Signs `client` in through the sign-in form; returns the answer to the POST."""
    page = await client.get("/staff/sign-in")
    return await client.post(
        "/staff/sign-in",
        data={"email": email, "password": password, "csrf_token": form_token_of(page.text)},
    )


async def signed_in_csrf(client: httpx.AsyncClient, *, email: str, password: str = PASSWORD) -> str:
    """Signs in and returns the session's CSRF token (for X-CSRF-Token or csrf_token)."""
    answer = await sign_in(client, email=email, password=password)
    assert answer.status_code == 303, answer.text
    return csrf_of((await client.get("/staff/")).text)


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Runs `app` with uvicorn in a thread on a free port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the staff app did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def browser_sign_in(page: Any, base_url: str, *, email: str, password: str = PASSWORD) -> None:
    """Signs a Playwright page in through the form, by keyboard as a person would."""
    page.goto(f"{base_url}/staff/sign-in")
    page.get_by_label(re.compile("E-mail")).fill(email)
    page.get_by_label(re.compile("Wachtwoord|Password")).fill(password)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/staff/(?!sign-in)"))


async def shift_times(
    sessions: async_sessionmaker[AsyncSession], model: type, column: str, by: dt.timedelta
) -> None:
    """Moves a time column of every row of `model` by `by` (negative: into the past)."""
    async with sessions() as session, session.begin():
        rows: list[Any] = list(await session.scalars(select(model)))
        for row in rows:
            setattr(row, column, as_utc(getattr(row, column)) + by)

"""Helpers for the staff workspace's tests (also used by the queue's): accounts with roles,
a small app with only the workspace on a real database, signing in over HTTP and in a
real browser."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
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
    return Settings(
        **{
            "WEGWIJS_VAR_DIR": var_dir,
            "STAFF_COOKIE_SECURE": False,
            "DRAFTS_DIR": var_dir / "drafts",
            **values,
        }
    )


def staff_app(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, *, lifespan: Any = None
) -> FastAPI:
    """Only the workspace, on `sessions` (the gateway's lifespan puts them on app.state)."""
    app = FastAPI(lifespan=lifespan)
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
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="auto", ws="none"
        )
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


class StaffSite:
    """The workspace served by uvicorn on 127.0.0.1 over its own migrated SQLite database,
    for a real browser. Accounts are added from the test's thread with `add_staff`."""

    def __init__(self, var_dir: Path, **settings: Any) -> None:
        self.url_of_db = f"sqlite:///{var_dir / 'staff.db'}"
        self.settings = staff_settings(var_dir, DATABASE_URL=self.url_of_db, **settings)
        self._serving: Any = None
        self.app: FastAPI | None = None
        self.url = ""

    def __enter__(self) -> StaffSite:
        from bot.db.migrate import migrate
        from bot.db.session import make_engine, make_sessionmaker

        migrate(self.url_of_db)
        engine = make_engine(self.url_of_db)

        @asynccontextmanager
        async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
            yield
            await engine.dispose()  # in the server's own event loop

        app = staff_app(make_sessionmaker(engine), self.settings, lifespan=lifespan)
        self.app = app  # tests may set app.state (the entry search) before they browse
        self._serving = serving(app)
        self.url = self._serving.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._serving.__exit__(None, None, None)

    def run(self, work: Any) -> Any:
        """Runs `work(sessions)` (a coroutine function) on an engine of its own."""
        import asyncio

        from bot.db.session import make_engine, make_sessionmaker

        async def go() -> Any:
            engine = make_engine(self.url_of_db)
            try:
                return await work(make_sessionmaker(engine))
            finally:
                await engine.dispose()

        # A thread of its own: Playwright's sync API keeps an event loop in the test's.
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, go()).result()

    def add_staff(self, **account: Any) -> StaffUser:
        return self.run(lambda sessions: make_staff(sessions, **account))  # type: ignore[no-any-return]

    def invite_link(self, *, email: str, name: str, roles: Iterable[str]) -> str:
        async def work(sessions: async_sessionmaker[AsyncSession]) -> str:
            async with sessions() as session, session.begin():
                made = await create_user(session, email=email, name=name, roles=roles)
                return made.path()

        return f"{self.url}{self.run(work)}"

"""Fixtures of the workspace's tests: a real SQLite database and the workspace's app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.e2e.test_widget import CHROMIUM, CHROMIUM_ARGS
from tests.staff.support import StaffSite, browser_sign_in, staff_app, staff_settings
from tests.support import empty_app_database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated SQLite database of this test's own."""
    async with empty_app_database(f"sqlite:///{tmp_path / 'staff.db'}") as made:
        yield made


@pytest.fixture
def app(db: async_sessionmaker[AsyncSession], tmp_path: Path) -> FastAPI:
    return staff_app(db, staff_settings(tmp_path))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", headers={"accept": "text/html"}
    ) as made:
        yield made


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright, as tests/e2e/test_widget.py does."""
    if not CHROMIUM.exists():
        pytest.fail(f"No Chromium at {CHROMIUM} (scripts/setup installs it)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[StaffSite]:
    """The workspace served on 127.0.0.1 over a fresh SQLite database."""
    with StaffSite(tmp_path) as running:
        yield running


def new_page(browser: Browser) -> tuple[Page, list[str]]:
    """A fresh Dutch profile; CSP is bypassed only so that axe can be injected."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, bypass_csp=True, locale="nl-NL"
    )
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    return opened, errors


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    opened, errors = new_page(browser)
    yield opened
    opened.context.close()
    assert errors == [], errors


SignedInPage = Callable[..., Page]


@pytest.fixture
def signed_in_page(browser: Browser, site: StaffSite) -> Iterator[SignedInPage]:
    """Makes an account (make_staff's keywords) and a browser page signed in as it, each
    in its own profile (two employees at once: call it twice)."""
    made: list[tuple[Page, list[str]]] = []

    def sign_in_as(**account: Any) -> Page:
        user = site.add_staff(**account)
        opened, errors = new_page(browser)
        made.append((opened, errors))
        browser_sign_in(opened, site.url, email=user.email)
        return opened

    yield sign_in_as
    for opened, errors in made:
        opened.context.close()
        assert errors == [], errors

"""What the workspace keeps on the app (made by include_staff, never at import time)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from jinja2 import Environment

from bot.config import Settings
from bot.staff.oidc import OidcClient
from bot.staff.sessions import SessionRules

COOKIE = "wegwijs_staff"
OIDC_COOKIE = "wegwijs_staff_oidc"  # the sign-in flow with the identity provider
PRE_COOKIE = "wegwijs_staff_form"  # the sign-in form's CSRF token, before any session


@dataclass(frozen=True)
class StaffState:
    settings: Settings
    rules: SessionRules
    templates: Environment
    root: Path
    oidc: OidcClient

    @property
    def secure_cookies(self) -> bool:
        return self.settings.staff_cookies_secure


def session_rules(settings: Settings) -> SessionRules:
    return SessionRules(
        idle=dt.timedelta(minutes=settings.staff_session_idle_minutes),
        lifetime=dt.timedelta(hours=settings.staff_session_hours),
        failures=settings.staff_sign_in_failures,
        window=dt.timedelta(minutes=settings.staff_sign_in_window_minutes),
    )


def staff_state(request: Request) -> StaffState:
    return request.app.state.staff  # type: ignore[no-any-return]

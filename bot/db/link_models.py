"""The latest link check of the knowledge base's sources (`wegwijs check-links`), for the
editors' review page. One row per URL; a new run replaces every row (bot/faq/link_store.py),
so the table only ever holds the latest run. Which entries cite a URL is read from faq/."""

from __future__ import annotations

import datetime as dt
from typing import Final

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base

URL_CHARS: Final = 2000
ERROR_CHARS: Final = 120


class LinkCheck(Base):
    __tablename__ = "link_checks"

    url: Mapped[str] = mapped_column(String(URL_CHARS), primary_key=True)
    status: Mapped[int | None]  # the final HTTP status after redirects; None: no answer
    error: Mapped[str] = mapped_column(String(ERROR_CHARS), default="")  # why no answer came
    checked_at: Mapped[dt.datetime]

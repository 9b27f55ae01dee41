"""The privacy statement the greeting links to exists in every language, escaped and linked."""

from __future__ import annotations

import pytest

from bot.config import PROJECT_ROOT
from bot.privacy_page import load_privacy, render_privacy

LINKS = {
    "municipality_contact_url": "https://www.almere.nl/contact",
    "privacy_url": "x",
    "retention_days": "28",
    "closed_ticket_retention_days": "90",
}


@pytest.mark.parametrize("language", ["uk", "en", "nl"])
def test_the_statement_is_complete_in_every_language(language: str) -> None:
    page = load_privacy(PROJECT_ROOT)
    for section in page["sections"]:
        assert section["heading"][language].strip()
        assert section["text"][language].strip()
    rendered = render_privacy(PROJECT_ROOT, language, LINKS)  # type: ignore[arg-type]
    assert f'<html lang="{language}">' in rendered
    assert '<a href="https://www.almere.nl/contact">' in rendered
    assert "[[" not in rendered


def test_text_is_escaped() -> None:
    assert "<script>" not in render_privacy(
        PROJECT_ROOT, "en", {"municipality_contact_url": "<script>"}
    )


@pytest.mark.parametrize(
    ("language", "phrase"),
    [("en", "after 17 days"), ("nl", "na 17 dagen"), ("uk", "через 17 днів")],
)
def test_the_retention_periods_are_the_configured_ones(
    language: str, phrase: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The statement quotes what the purge does, from the same settings."""
    monkeypatch.setenv("RETENTION_DAYS", "17")
    monkeypatch.setenv("CLOSED_TICKET_RETENTION_DAYS", "45")
    from bot.config import load_settings

    rendered = render_privacy(PROJECT_ROOT, language, load_settings().links())  # type: ignore[arg-type]
    assert phrase in rendered
    assert "45" in rendered

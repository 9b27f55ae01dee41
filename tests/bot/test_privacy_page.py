"""The privacy statement the greeting links to exists in every language, escaped and linked."""

from __future__ import annotations

import pytest

from bot.config import PROJECT_ROOT
from bot.privacy_page import load_privacy, render_privacy

LINKS = {"municipality_contact_url": "https://www.almere.nl/contact", "privacy_url": "x"}


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

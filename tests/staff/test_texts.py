"""Every UI text of the workspace is in nl and en, and every key a template uses exists."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.config import PROJECT_ROOT
from bot.staff.pages import TEMPLATES
from bot.staff.texts import LANGUAGES, staff_text_files, staff_texts

KEY_IN_TEMPLATE = re.compile(r"""t\[\s*["']([a-z_]+\.[a-z_0-9]+)["']\s*\]""")


def test_every_key_has_nl_and_en() -> None:
    files = staff_text_files(PROJECT_ROOT)
    assert files
    for path in files:
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
        for key, by_language in entries.items():
            assert set(by_language) == set(LANGUAGES), f"{path.name}: {key}"
            for language in LANGUAGES:
                assert str(by_language[language]).strip(), f"{path.name}: {key}.{language}"


def test_placeholders_are_the_same_in_both_languages() -> None:
    nl, en = staff_texts(PROJECT_ROOT, "nl"), staff_texts(PROJECT_ROOT, "en")
    for key in nl:
        assert set(re.findall(r"{(\w+)}", nl[key])) == set(re.findall(r"{(\w+)}", en[key])), key


def test_templates_use_only_existing_keys() -> None:
    known = set(staff_texts(PROJECT_ROOT, "nl"))
    used: set[str] = set()
    for template in Path(TEMPLATES).rglob("*.html"):
        used |= set(KEY_IN_TEMPLATE.findall(template.read_text(encoding="utf-8")))
    assert used
    assert used - known == set()

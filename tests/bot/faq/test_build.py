"""The generated Rasa files match a fresh build of faq/ and texts/."""

from __future__ import annotations

from bot.config import PROJECT_ROOT
from bot.faq.build import HEADER, build_all, stale_files


def test_generated_files_match_a_fresh_build() -> None:
    stale = [str(path.relative_to(PROJECT_ROOT)) for path in stale_files(PROJECT_ROOT)]
    assert stale == [], f"run `make build` and commit: {stale}"


def test_every_generated_file_says_it_must_not_be_edited() -> None:
    first_line = HEADER.splitlines()[0].split("{")[0]
    for built in build_all(PROJECT_ROOT):
        assert built.content.startswith(first_line)
        assert "Do not edit" in built.content.splitlines()[0]


def test_every_entry_becomes_an_intent_with_a_rule() -> None:
    contents = {
        p.path.name: p.content for p in build_all(PROJECT_ROOT) if "generated" in str(p.path)
    }
    from bot.faq.schema import load_knowledge_base

    for entry in load_knowledge_base(PROJECT_ROOT / "faq").entries:
        assert f"intent: faq_{entry.id}\n" in contents["faq_nlu.yml"]
        assert (
            f"intent: faq_{entry.id}}}" in contents["faq_rules.yml"]
            or f"faq_{entry.id}" in contents["faq_rules.yml"]
        )
        assert f"- faq_{entry.id}\n" in contents["faq.yml"]

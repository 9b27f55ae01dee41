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


# Runs in the Rasa environment: Rasa's own interpolator over every generated response, with the
# slots Rasa fills. It prints the interpolated responses as JSON, and what it logged to stderr.
_INTERPOLATE_ALL = """
import copy, json, logging, sys
import structlog, yaml
from rasa.core.nlg.interpolator import interpolate
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
structlog.configure(logger_factory=structlog.stdlib.LoggerFactory())
responses = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["responses"]
slots = {"language": "uk"}
print(json.dumps({  # one variation at a time, each a copy, as TemplatedNaturalLanguageGenerator
    name: [interpolate(copy.deepcopy(variation), slots) for variation in variations]
    for name, variations in responses.items()
}))
"""


def test_rasa_interpolates_every_response_silently_and_keeps_the_payloads() -> None:
    import json
    import subprocess

    from bot.texts import load_texts
    from bot.training import rasa_environment

    result = subprocess.run(
        [
            str(PROJECT_ROOT / ".venvs/rasa/bin/python"),
            "-c",
            _INTERPOLATE_ALL,
            str(PROJECT_ROOT / "domain/generated/responses.yml"),
        ],
        env=rasa_environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert "interpolator" not in result.stderr
    interpolated = json.loads(result.stdout)
    payloads = {
        button["payload"]
        for variations in interpolated.values()
        for variation in variations
        for button in variation.get("buttons", [])
    }
    texts = load_texts(PROJECT_ROOT)
    expected = {
        texts.button(name, "uk").payload
        for spec in texts.responses.values()
        for name in texts.expand_buttons(spec.get("buttons", []))
    }
    assert any("{" in payload for payload in expected)
    assert payloads == expected

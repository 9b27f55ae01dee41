"""An operator who sees ERROR must be able to trust it: a normal conversation, an escalation
and a staff answer, through the real stack on a log directory of their own, leave no ERROR and
no WARNING in any process (Rasa, the action server, the gateway, `wegwijs staff`)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_escalation_web import CASES, Site, ask_a_person, button_title, poll, site_for
from tests.support import Stack, WebChat, stack_settings, texts_of

pytestmark = pytest.mark.stack

# Rasa's text log ("2026-12-04 10:00:00 ERROR rasa...") and Python's own warnings and tracebacks.
LOUD_TEXT = re.compile(r"\b(ERROR|WARNING|CRITICAL|Traceback|\w+Warning)\b")
LOUD_LEVELS = frozenset({"warning", "error", "critical"})


def loud_lines(text: str) -> list[str]:
    loud: list[str] = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                level = str(json.loads(line).get("level", ""))
            except json.JSONDecodeError:
                level = ""
            if level in LOUD_LEVELS:
                loud.append(line)
                continue
        if LOUD_TEXT.search(line):
            loud.append(line)
    return loud


def test_loud_lines_finds_what_an_operator_would_see() -> None:
    assert loud_lines('{"level": "info", "event": "ok"}\nall fine') == []
    assert loud_lines('{"level": "warning", "event": "x"}') != []
    rasa_error = "2026-12-04 19:10:22 ERROR    rasa.core.nlg.interpolator  - boom"
    assert loud_lines(rasa_error) == [rasa_error]
    assert loud_lines("x.py:3: DeprecationWarning: old") != []
    assert loud_lines("Traceback (most recent call last):") != []


@pytest.fixture(scope="module")
def quiet_stack(trained_model: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack(stack_settings(tmp_path_factory.mktemp("quiet")))
    running.start()
    yield running
    running.stop()


def logs_of(log_dir: Path) -> dict[str, str]:
    return {path.name: path.read_text(errors="replace") for path in log_dir.glob("*.log")}


@pytest.mark.parametrize("language", ["uk", "en", "nl"])
def test_a_conversation_an_escalation_and_a_staff_answer_log_nothing_loud(
    quiet_stack: Stack, language: str
) -> None:
    site: Site = site_for(quiet_stack)
    case = CASES[language]
    chat = WebChat(quiet_stack.url)
    staff_output: list[str] = []
    try:
        greeting = chat.start()
        assert greeting["messages"]
        # The language buttons are the payloads that made Rasa's interpolator log ERROR.
        chosen = chat.press({"uk": "Українська", "en": "English", "nl": "Nederlands"}[language])
        assert chosen["language"] == language
        chat.say(
            {
                "uk": "Як записатися на курси голландської?",
                "en": "How do I register at the municipality?",
                "nl": "Hoe schrijf ik me in bij de gemeente?",
            }[language]
        )
        code = ask_a_person(chat, case)
        for argv in (("list",), ("show", code), ("answer", code, "--text", case.answer)):
            done = site.staff(*argv)
            assert done.returncode == 0, done.stderr
            staff_output.append(done.stderr)
        data = poll(chat, wait=20)
        assert [m["sender"] for m in data["messages"]] == ["staff", "system"]
        chat.buttons = {b["title"]: b["id"] for b in data["messages"][1]["buttons"]}
        solved = chat.press(button_title("ticket_solved", language))
        assert code in texts_of(solved)
    finally:
        chat.close()
        site.engine.dispose()
    time.sleep(0.5)  # let the processes flush what they log after answering
    logs = logs_of(quiet_stack.log_dir)
    assert {"rasa.log", "actions.log", "gateway.log"} <= set(logs)
    loud = {name: loud_lines(text) for name, text in logs.items()}
    loud["wegwijs staff"] = [line for text in staff_output for line in loud_lines(text)]
    assert {name: lines for name, lines in loud.items() if lines} == {}


def test_the_ready_lines_are_still_shown_at_info(quiet_stack: Stack) -> None:
    """`make run` prints where to chat once Rasa is ready: at INFO now, and still logged."""
    deadline = time.monotonic() + 30
    while True:
        ready = [
            json.loads(line)
            for line in (quiet_stack.log_dir / "gateway.log").read_text().splitlines()
            if line.startswith("{") and "Wegwijs is ready" in line
        ]
        if ready or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert [entry["level"] for entry in ready] == ["info"]
    assert quiet_stack.url.rsplit(":", 1)[1] in ready[0]["event"]

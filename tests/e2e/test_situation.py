"""The newcomer's situation through the real stack: asked once when the likely answers are for
different people, used to answer, shown with a way to change it, and erased with /forget."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pytest

from bot.config import PROJECT_ROOT, load_settings
from bot.faq.situations import SITUATIONS
from bot.texts import Texts, load_texts
from tests.support import Stack, WebChat, texts_of

NewChat = Callable[..., WebChat]

pytestmark = pytest.mark.stack


@cache
def texts() -> Texts:
    return load_texts(PROJECT_ROOT, load_settings().municipality)


def title(situation: str, language: str) -> str:
    return texts().button(f"situation_{situation}", language).title  # type: ignore[arg-type]


def faq_ids(reply: dict[str, object]) -> list[str]:
    return [m["faq"]["id"] for m in reply["messages"] if m.get("faq")]  # type: ignore[attr-defined]


def asks_the_situation(chat: WebChat, language: str) -> bool:
    return {title(s, language) for s in SITUATIONS} <= set(chat.buttons)


@pytest.mark.parametrize(
    ("language", "question", "situation", "entry", "then"),
    [
        ("uk", "Чи можу я працювати?", "ukrainians", "work_permission_ukrainians",
         "Де вивчати нідерландську?"),
        ("en", "Can I work here?", "status_holders", "work_permission_status_holders_asylum",
         "Where can I learn Dutch?"),
        ("nl", "Mag ik werken?", "asylum_seekers", "work_permission_status_holders_asylum",
         "Waar kan ik Nederlands leren?"),
    ],
)  # fmt: skip
def test_the_situation_is_asked_once_and_chooses_the_answer(
    stack: Stack,
    new_chat: NewChat,
    language: str,
    question: str,
    situation: str,
    entry: str,
    then: str,
) -> None:
    chat = new_chat()
    chat.start()
    asked = chat.say(question)
    assert asked["language"] == language
    assert faq_ids(asked) == []
    assert texts().message("situation_ask", language)[0] in texts_of(asked)  # type: ignore[arg-type]
    assert asks_the_situation(chat, language)

    answered = chat.press(title(situation, language))
    assert faq_ids(answered) == [entry]
    used = texts().message("situation_used", language)[0]  # type: ignore[arg-type]
    assert used.format(situation=title(situation, language)) in texts_of(answered)
    change = texts().button("change_situation", language).title  # type: ignore[arg-type]
    assert change in chat.buttons

    chat.say(then)  # a question that would have asked: the situation is known now
    assert not asks_the_situation(chat, language)


def test_the_situation_can_be_changed(stack: Stack, new_chat: NewChat) -> None:
    chat = new_chat()
    chat.start()
    chat.say("Can I work here?")
    chat.press(title("ukrainians", "en"))
    choose = chat.press("Change my situation")
    assert texts().message("situation_choose", "en")[0] in texts_of(choose)
    noted = chat.press(title("status_holders", "en"))
    noted_text = texts().message("situation_noted", "en")[0]
    assert noted_text.format(situation=title("status_holders", "en")) in texts_of(noted)
    again = chat.say("Can I work here?")
    assert faq_ids(again) == ["work_permission_status_holders_asylum"]


def test_mydata_shows_the_situation_and_forget_erases_it(stack: Stack, new_chat: NewChat) -> None:
    chat = new_chat()
    chat.start()
    chat.say("Can I work here?")
    chat.press(title("ukrainians", "en"))
    chat.say("what do you store about me?")
    mine = chat.press("What is stored about me")
    shown = texts().gateway_text("my_data_situation", "en", situation=title("ukrainians", "en"))
    assert shown in texts_of(mine)
    chat.press("Erase my data")
    erased = chat.press("Yes, erase everything")
    assert "erased" in texts_of(erased)
    chat.say("Can I work here?")
    assert asks_the_situation(chat, "en")
    chat.say("what do you store about me?")
    assert "situation" not in texts_of(chat.press("What is stored about me"))

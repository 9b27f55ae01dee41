"""The real Rasa server, action server and gateway, through the web API, in three languages."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support import Stack, WebChat, texts_of

NewChat = Callable[..., WebChat]

pytestmark = pytest.mark.stack


@pytest.mark.parametrize(
    ("greeting", "language", "expected"),
    [
        ("hallo", "nl", "Ik ben Wegwijs"),
        ("привіт", "uk", "Я Wegwijs"),
        ("hello", "en", "I am Wegwijs"),
    ],
)
def test_greeting_is_answered_in_the_language_of_the_greeting(
    stack: Stack, new_chat: NewChat, greeting: str, language: str, expected: str
) -> None:
    chat = new_chat()
    chat.start()
    reply = chat.say(greeting)
    assert reply["language"] == language
    assert expected in texts_of(reply)
    assert all(m["language"] == language for m in reply["messages"])  # type: ignore[attr-defined]


def test_first_contact_says_it_is_an_automated_assistant_and_offers_three_languages(
    stack: Stack,
    new_chat: NewChat,
) -> None:
    chat = new_chat("nl")
    data = chat.start()
    assert data["language"] == "nl"
    text = texts_of(data)
    assert "computerprogramma, geen mens" in text
    assert f"{stack.settings.effective_public_url}/privacy" in text
    assert set(chat.buttons) >= {"Українська", "English", "Nederlands"}


def test_language_button_switches_every_following_reply(stack: Stack, new_chat: NewChat) -> None:
    chat = new_chat("nl")
    chat.start()
    switched = chat.press("Українська")
    assert switched["language"] == "uk"
    assert "українською" in texts_of(switched)
    assert "Житло" in chat.buttons  # the topic menu, in Ukrainian
    after = chat.say("ok")  # short and ambiguous: stays Ukrainian
    assert after["language"] == "uk"


@pytest.mark.parametrize(
    ("question", "language", "faq_id"),
    [
        ("Hoe kan ik me inschrijven in de BRP in Almere?", "nl", "registration_brp"),
        ("How do I get a DigiD?", "en", "registration_digid"),
        ("Як знайти сімейного лікаря (huisarts)?", "uk", "health_huisarts"),
        # Ukrainian typed in Latin letters, official and chat spellings (bot/transliteration.py)
        ("Shcho robyty, yakshcho ya vahitna?", "uk", "health_pregnancy"),
        ("chy otrymayu ya groshovu dopomogu na yizhu?", "uk", "money_leefgeld"),
    ],
)
def test_a_knowledge_base_question_gets_its_answer_with_sources(
    stack: Stack, new_chat: NewChat, question: str, language: str, faq_id: str
) -> None:
    chat = new_chat()
    chat.start()
    reply = chat.say(question)
    assert reply["language"] == language
    answers = [m for m in reply["messages"] if m.get("faq")]  # type: ignore[attr-defined]
    assert answers, texts_of(reply)
    assert answers[0]["faq"]["id"] == faq_id
    assert "https://" in answers[0]["text"]
    assert {"Sources:", "Джерела:", "Bronnen:"} & set(answers[0]["text"].split("\n"))


def test_feedback_buttons_follow_an_answer(stack: Stack, new_chat: NewChat) -> None:
    chat = new_chat()
    chat.start()
    chat.say("How do I get a DigiD?")
    assert "Yes, it helped" in chat.buttons
    thanks = chat.press("Yes, it helped")
    assert "Glad I could help" in texts_of(thanks)


def test_a_typed_intent_is_treated_as_text_not_as_a_command(
    stack: Stack, new_chat: NewChat
) -> None:
    chat = new_chat("en")
    chat.start()
    reply = chat.say('/ask_human{"language":"nl"}')
    assert reply["language"] == "en"
    assert "pass on your question" not in texts_of(reply)


def test_an_unknown_button_gets_a_polite_answer(stack: Stack, new_chat: NewChat) -> None:
    chat = new_chat("en")
    chat.start()
    chat.buttons["forged"] = "AAAAAAAA"
    reply = chat.press("forged")
    assert "no longer active" in texts_of(reply)


def test_russian_is_answered_in_ukrainian_with_a_notice_once(
    stack: Stack, new_chat: NewChat
) -> None:
    chat = new_chat()
    chat.start()
    chat.say("Goedemiddag, ik heb een vraag over mijn huis")
    first = chat.say("Здравствуйте, как мне найти квартиру в Алмере?")
    assert first["language"] == "uk"
    assert "Я розумію російську" in texts_of(first)
    assert "Ви написали українською" not in texts_of(first)  # it was Russian, not Ukrainian
    second = chat.say("Спасибо, а где мне получить номер BSN?")
    assert second["language"] == "uk"
    assert "Я розумію російську" not in texts_of(second)


def test_menu_topic_lists_its_questions_in_the_users_language(
    stack: Stack, new_chat: NewChat
) -> None:
    chat = new_chat("en")
    chat.start()
    chat.say("show me the topics")
    assert "Housing" in chat.buttons
    topic = chat.press("Housing")
    assert len(topic["messages"][0]["buttons"]) >= 6  # type: ignore[index]
    first_question = next(iter(chat.buttons))
    answer = chat.press(first_question)
    answered = [m["faq"] for m in answer["messages"] if m.get("faq")]  # type: ignore[attr-defined]
    assert [faq["topic"] for faq in answered] == ["housing"], texts_of(answer)


def test_bad_input_gets_a_clear_error_in_the_users_language(
    stack: Stack, new_chat: NewChat
) -> None:
    chat = new_chat("uk")
    chat.start()
    response = chat.client.post(
        f"/api/conversations/{chat.token}/messages", json={"text": "а" * 5000, "language": "uk"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "message_too_long"
    assert "задовге" in error["message"]
    malformed = chat.client.post(
        f"/api/conversations/{chat.token}/messages",
        content=b"{not json",
        headers={"Accept-Language": "nl"},
    )
    assert malformed.status_code == 422
    assert "Het verzoek klopt niet" in malformed.json()["error"]["message"]
    unknown = chat.client.post("/api/conversations/x/messages", json={"text": "hi"})
    assert unknown.status_code == 422

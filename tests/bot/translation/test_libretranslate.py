"""The LibreTranslate client against a fake of LibreTranslate's API on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.translation import NoTranslator, TranslationFailed, translator_from_settings
from bot.translation.libretranslate import LibreTranslate
from tests.fake_libretranslate import FakeLibreTranslate, running_fake

ADDRESS = "Stationsplein 1, 1315 KT Almere"
ANSWER = (
    "Bel +31 6 1234 5678 of mail info@almere.nl over K7MQ4X.\n"
    f"Kom naar {ADDRESS} of kijk op https://www.juridischloket.nl/wonen/huurwoning/."
)


@pytest.fixture
def fake() -> Iterator[FakeLibreTranslate]:
    with running_fake() as server:
        yield server


def client(fake: FakeLibreTranslate, **options: object) -> LibreTranslate:
    return LibreTranslate(url=fake.url, **options)  # type: ignore[arg-type]


async def test_a_translation_keeps_codes_links_phones_mails_and_addresses(
    fake: FakeLibreTranslate,
) -> None:
    result = await client(fake).translate(ANSWER, source="nl", target="uk")
    assert result.text == (
        "<uk> Зателефонуйте +31 6 1234 5678 або mail info@almere.nl over K7MQ4X.\n"
        f"<uk> Приходьте naar {ADDRESS} або kijk op https://www.juridischloket.nl/wonen/huurwoning/."
    )
    assert (result.source, result.target, result.engine, result.machine) == (
        "nl",
        "uk",
        "libretranslate",
        True,
    )
    sent = fake.state.requests[0]
    assert sent["q"] == [
        "Bel [1] of mail [2] over [3].",
        "Kom naar [4] of kijk op [5].",
    ]
    assert (sent["source"], sent["target"], sent["format"]) == ("nl", "uk", "text")
    assert "api_key" not in sent


async def test_the_detected_language_is_reported(fake: FakeLibreTranslate) -> None:
    result = await client(fake).translate("Де мій лист від IND?", source="auto", target="nl")
    assert result.text == "<nl> Waar мій лист від IND?"
    assert result.source == "uk"


async def test_the_same_language_is_returned_unchanged_without_a_call(
    fake: FakeLibreTranslate,
) -> None:
    result = await client(fake).translate("Hallo", source="nl", target="nl")
    assert (result.text, result.machine) == ("Hallo", False)
    assert fake.state.requests == []


async def test_a_line_with_nothing_to_translate_is_not_sent(fake: FakeLibreTranslate) -> None:
    result = await client(fake).translate(
        "Kijk hier:\nhttps://www.almere.nl/\n\n0800-0113", source="nl", target="uk"
    )
    assert result.text == "<uk> Kijk hier:\nhttps://www.almere.nl/\n\n0800-0113"
    assert fake.state.requests[0]["q"] == ["Kijk hier:"]


async def test_the_api_key_is_sent_and_a_wrong_one_is_refused(fake: FakeLibreTranslate) -> None:
    fake.state.api_key = "sesame"
    ok = await client(fake, api_key="sesame").translate("Hallo", source="nl", target="uk")
    assert ok.text == "<uk> Hallo"
    with pytest.raises(TranslationFailed, match=r"refused the API key \(HTTP 403\)"):
        await client(fake, api_key="wrong").translate("Hallo", source="nl", target="uk")


async def test_a_server_error_is_a_failure_with_a_reason(fake: FakeLibreTranslate) -> None:
    fake.state.mode = "error"
    with pytest.raises(TranslationFailed, match=r"failed \(HTTP 500\): Cannot translate"):
        await client(fake).translate("Hallo", source="nl", target="uk")


async def test_a_slow_server_is_a_timeout(fake: FakeLibreTranslate) -> None:
    fake.state.mode = "hang"
    fake.state.hang_seconds = 1.5
    with pytest.raises(TranslationFailed, match=r"did not answer within 0.3 s"):
        await client(fake, timeout_seconds=0.3).translate("Hallo", source="nl", target="uk")


async def test_an_unsupported_language_is_refused(fake: FakeLibreTranslate) -> None:
    with pytest.raises(TranslationFailed, match=r"refused the request \(HTTP 400\): de is not"):
        await client(fake).translate("Hallo", source="nl", target="de")


async def test_an_engine_that_loses_a_placeholder_is_refused(fake: FakeLibreTranslate) -> None:
    fake.state.mode = "lose_placeholder"
    with pytest.raises(TranslationFailed, match=r"changed protected parts \(2 of 5 lost"):
        await client(fake).translate(ANSWER, source="nl", target="uk")


async def test_an_unreachable_server_is_a_failure() -> None:
    with running_fake() as gone:
        url = gone.url
    with pytest.raises(TranslationFailed, match="cannot be reached"):
        await LibreTranslate(url=url).translate("Hallo", source="nl", target="uk")


async def test_the_languages_of_the_server(fake: FakeLibreTranslate) -> None:
    languages = await client(fake).languages()
    assert languages["uk"] == frozenset({"uk", "nl", "en"})


async def test_settings_pick_the_engine(fake: FakeLibreTranslate) -> None:
    assert isinstance(translator_from_settings(Settings()), NoTranslator)
    settings = Settings(TRANSLATION_URL=fake.url + "/", TRANSLATION_TIMEOUT_SECONDS=2)
    translator = translator_from_settings(settings)
    assert (translator.engine, translator.configured) == ("libretranslate", True)
    result = await translator.translate(
        "Welkom in Almere bij het Juridisch Loket", source="nl", target="uk"
    )
    assert result.text == "<uk> Welkom in Almere bij het Juridisch Loket"
    assert fake.state.requests[0]["q"] == ["Welkom in [1] bij het [2]"]


async def test_no_translator_returns_the_text_as_written() -> None:
    result = await NoTranslator().translate("Hallo", source="nl", target="uk")
    assert (result.text, result.source, result.target, result.machine) == (
        "Hallo",
        "nl",
        "uk",
        False,
    )
    assert NoTranslator().configured is False

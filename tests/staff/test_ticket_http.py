"""The ticket page over HTTP on a real SQLite database, translating through the fake
LibreTranslate on 127.0.0.1: agents read a Ukrainian question in Dutch, claim, preview,
answer once, and close; everyone else is refused without seeing the question."""

from __future__ import annotations

import html as markup
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bot.faq.search import EntrySearch
from bot.staff.roles import Role
from tests.fake_libretranslate import FakeLibreTranslate, running_fake
from tests.kbsearch_support import entry_search  # noqa: F401 (a fixture)
from tests.staff.support import make_staff, sign_in, staff_app, staff_settings
from tests.staff.ticket_support import (
    QUESTION_UK,
    Sessions,
    agent_client,
    audit_actions,
    jobs_of,
    new_ticket,
    previewed_of,
    ticket_now,
)

JSON = {"accept": "application/json", "x-requested-with": "fetch"}


def shown(response: httpx.Response) -> str:
    """The page as a reader sees its text (entities unescaped)."""
    return markup.unescape(response.text)


@pytest.fixture
def engine() -> Iterator[FakeLibreTranslate]:
    with running_fake() as server:
        yield server


@pytest.fixture
def app(
    db: Sessions,
    tmp_path: Path,
    engine: FakeLibreTranslate,
    entry_search: EntrySearch,  # noqa: F811 (the fixture imported above)
) -> FastAPI:
    made = staff_app(db, staff_settings(tmp_path, TRANSLATION_URL=engine.url))
    made.state.entry_search = entry_search  # the real index: which tickets ask the same
    return made


def second_client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.8", 50001))
    return httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", headers={"accept": "text/html"}
    )


async def test_without_a_session_nothing_is_shown_or_changed(
    client: httpx.AsyncClient, db: Sessions
) -> None:
    ticket = await new_ticket(db)
    page = await client.get(f"/staff/tickets/{ticket.code}")
    assert page.status_code == 303
    assert "/staff/sign-in" in page.headers["location"]
    answer = await client.post(
        f"/staff/tickets/{ticket.code}/answer", data={"text": "Hallo"}, headers=JSON
    )
    assert answer.status_code == 401
    assert (await ticket_now(db, ticket.id)).state == "open"


@pytest.mark.parametrize("roles", [(Role.editor,), (Role.admin,)])
async def test_other_roles_get_403_and_no_question(
    client: httpx.AsyncClient, db: Sessions, roles: tuple[Role, ...]
) -> None:
    ticket = await new_ticket(db)
    token = await agent_client(client, db, roles=roles)
    page = await client.get(f"/staff/tickets/{ticket.code}")
    assert page.status_code == 403
    assert "зареєструватися" not in page.text
    assert ticket.code not in page.text
    claim = await client.post(f"/staff/tickets/{ticket.code}/claim", data={"csrf_token": token})
    assert claim.status_code == 403
    assert (await ticket_now(db, ticket.id)).state == "open"


async def test_an_agent_reads_the_question_in_dutch_with_the_original_and_it_is_audited(
    client: httpx.AsyncClient, db: Sessions
) -> None:
    ticket = await new_ticket(db, urgent=True)
    await agent_client(client, db)
    page = await client.get(f"/staff/tickets/{ticket.code}")
    assert page.status_code == 200
    html = shown(page)
    assert "<nl> Waar мені зареєструватися в Almere? Mijn code K7MQ4X." in html
    assert "Vertaald door een computer uit het Oekraïens" in html
    assert f'<p lang="uk" class="original">{QUESTION_UK}</p>' in html  # one click away
    assert "Dringend" in html
    assert "Chat op de website" in html
    assert "Vraag gesteld" in html  # the history
    assert "<dd>Inschrijven en documenten</dd>" in html  # the topic by its name, not its code
    actions = await audit_actions(db)
    assert ("ticket_opened", f"ticket:{ticket.code}", "{'searched': False}") in actions
    assert not any("зареєстр" in detail or "Almere" in detail for *_, detail in actions)


async def test_an_unknown_code_is_a_plain_404(client: httpx.AsyncClient, db: Sessions) -> None:
    await agent_client(client, db)
    page = await client.get("/staff/tickets/AAAAAA")
    assert page.status_code == 404
    assert "Deze vraag bestaat niet" in page.text


async def test_without_the_csrf_token_a_claim_is_refused(
    client: httpx.AsyncClient, db: Sessions
) -> None:
    ticket = await new_ticket(db)
    await agent_client(client, db)
    refused = await client.post(f"/staff/tickets/{ticket.code}/claim", data={})
    assert refused.status_code == 403
    assert (await ticket_now(db, ticket.id)).state == "open"


async def test_a_colleagues_claim_and_answer_stand_in_the_way_with_their_name(
    app: FastAPI, client: httpx.AsyncClient, db: Sessions
) -> None:
    ticket = await new_ticket(db)
    anna = await agent_client(client, db)
    claimed = await client.post(f"/staff/tickets/{ticket.code}/claim", data={"csrf_token": anna})
    assert claimed.status_code == 303
    assert claimed.headers["location"].endswith("?done=claimed")
    async with second_client(app) as other:
        bram = await agent_client(other, db, name="Bram Bakker", email="bram@almere.example")
        seen = await other.get(f"/staff/tickets/{ticket.code}")
        assert "Anna de Vries heeft deze vraag opgepakt." in seen.text
        taken = await other.post(f"/staff/tickets/{ticket.code}/claim", data={"csrf_token": bram})
        assert taken.status_code == 409
        assert "Anna de Vries heeft deze vraag opgepakt" in taken.text
        answered = await other.post(
            f"/staff/tickets/{ticket.code}/answer", data={"csrf_token": bram, "text": "Ik"}
        )
        assert answered.status_code == 409
    now = await ticket_now(db, ticket.id)
    assert now.state == "claimed"
    assert now.claimed_by is not None
    assert now.claimed_by.startswith("Anna de Vries #web")


async def test_preview_then_answer_reaches_the_newcomer_translated_once(
    app: FastAPI, client: httpx.AsyncClient, db: Sessions, engine: FakeLibreTranslate
) -> None:
    ticket = await new_ticket(db)
    token = await agent_client(client, db)
    text = "Bel of Kom naar het stadhuis, Stadhuisplein 1, met code K7MQ4X."

    unpreviewed = await client.post(
        f"/staff/tickets/{ticket.code}/answer", data={"csrf_token": token, "text": text}
    )
    assert unpreviewed.status_code == 200
    assert "De tekst is veranderd sinds de vorige vertaling" in unpreviewed.text
    assert (await ticket_now(db, ticket.id)).state == "open"

    preview = await client.post(
        f"/staff/tickets/{ticket.code}/preview", data={"csrf_token": token, "text": text}
    )
    assert preview.status_code == 200
    assert "Dit leest de nieuwkomer (Oekraïens):" in preview.text
    assert "<uk> Зателефонуйте або Приходьте" in shown(preview)
    assert "Terugvertaald in uw taal" in preview.text
    assert "<nl> <uk>" in shown(preview)  # the back-translation went through it

    sent = await client.post(
        f"/staff/tickets/{ticket.code}/answer",
        data={"csrf_token": token, "text": text, "previewed": previewed_of(preview.text)},
    )
    assert sent.status_code == 303
    assert sent.headers["location"].endswith("?done=answered")
    now = await ticket_now(db, ticket.id)
    assert now.state == "answered"
    assert now.answer_machine_translated
    assert now.answer_original == text
    assert now.answer_source_language == "nl"
    assert now.answer is not None
    assert "<uk> Зателефонуйте" in now.answer
    assert "Цю відповідь переклав комп’ютер" in now.answer
    assert "K7MQ4X" in now.answer
    assert "Stadhuisplein 1" in now.answer
    assert len(await jobs_of(db, "deliver_answer")) == 1

    async with second_client(app) as other:
        bram = await agent_client(other, db, name="Bram Bakker", email="bram@almere.example")
        again = await other.post(
            f"/staff/tickets/{ticket.code}/answer",
            data={"csrf_token": bram, "text": text, "previewed": previewed_of(preview.text)},
        )
    assert again.status_code == 409
    assert "Anna de Vries heeft deze vraag al beantwoord" in again.text
    assert len(await jobs_of(db, "deliver_answer")) == 1
    actions = [action for action, *_ in await audit_actions(db)]
    assert actions.count("ticket_answered") == 1
    assert "answer_previewed" in actions


async def test_empty_and_too_long_answers_say_what_to_do(
    client: httpx.AsyncClient, db: Sessions
) -> None:
    ticket = await new_ticket(db)
    token = await agent_client(client, db)
    empty = await client.post(
        f"/staff/tickets/{ticket.code}/preview", data={"csrf_token": token, "text": "  "}
    )
    assert empty.status_code == 422
    assert "Schrijf eerst een antwoord." in empty.text
    long = await client.post(
        f"/staff/tickets/{ticket.code}/preview", data={"csrf_token": token, "text": "a" * 4001}
    )
    assert long.status_code == 422
    assert "Het antwoord is te lang" in long.text


async def test_one_answer_goes_to_similar_tickets_each_in_its_language(
    client: httpx.AsyncClient, db: Sessions
) -> None:
    first = await new_ticket(db)
    english = await new_ticket(
        db, question="Where do I register in Almere?", language="en", conversation_id="we-2"
    )
    dutch = await new_ticket(
        db, question="Waar kan ik me inschrijven in Almere?", language="nl", channel="telegram",
        conversation_id="tg-3",
    )  # fmt: skip
    token = await agent_client(client, db)
    text = "Bel of Kom naar het stadhuis."
    preview = await client.post(
        f"/staff/tickets/{first.code}/preview",
        data={"csrf_token": token, "text": text, "also": [english.code, dutch.code]},
    )
    assert preview.status_code == 200
    sent = await client.post(
        f"/staff/tickets/{first.code}/answer",
        data={"csrf_token": token, "text": text, "previewed": previewed_of(preview.text),
              "also": [english.code, dutch.code]},
    )  # fmt: skip
    assert sent.status_code == 303
    assert "done=answered_many&count=3" in sent.headers["location"]
    uk, en, nl = [await ticket_now(db, t.id) for t in (first, english, dutch)]
    assert uk.answer is not None
    assert uk.answer.startswith("<uk> ")
    assert en.answer is not None
    assert en.answer.startswith("<en> ")
    assert nl.answer == text
    assert not nl.answer_machine_translated
    jobs = await jobs_of(db, "deliver_answer")
    assert sorted(job.ticket_id for job in jobs) == sorted([first.id, english.id, dutch.id])


async def test_an_answer_is_refused_whole_for_a_ticket_not_offered_as_the_same_question(
    client: httpx.AsyncClient, db: Sessions
) -> None:
    first = await new_ticket(db)
    similar = await new_ticket(
        db, question="Where do I register in Almere?", language="en", conversation_id="we-2"
    )
    other = await new_ticket(
        db, question="Mijn kind heeft koorts, welke huisarts kan ik bellen?", language="nl",
        conversation_id="we-3",
    )  # fmt: skip
    token = await agent_client(client, db)
    text = "Kom naar het stadhuis."
    preview = await client.post(
        f"/staff/tickets/{first.code}/preview", data={"csrf_token": token, "text": text}
    )
    crafted = [similar.code, other.code]
    sent = await client.post(
        f"/staff/tickets/{first.code}/answer",
        data={"csrf_token": token, "text": text, "previewed": previewed_of(preview.text),
              "also": crafted},
    )  # fmt: skip
    assert sent.status_code == 409
    assert "Niets is verstuurd." in shown(sent)
    by_entry = await client.post(
        f"/staff/tickets/{first.code}/answer-entry",
        data={"csrf_token": token, "entry_id": "registration_bsn", "also": crafted},
    )
    assert by_entry.status_code == 409
    assert "Niets is verstuurd." in shown(by_entry)
    for ticket in (first, similar, other):
        assert (await ticket_now(db, ticket.id)).state == "open"
    assert await jobs_of(db, "deliver_answer") == []
    assert "ticket_answered" not in [action for action, _, _ in await audit_actions(db)]


async def test_a_similar_ticket_answered_meanwhile_is_skipped_not_refused(
    client: httpx.AsyncClient, db: Sessions
) -> None:
    first = await new_ticket(db)
    similar = await new_ticket(
        db, question="Where do I register in Almere?", language="en", conversation_id="we-2"
    )
    token = await agent_client(client, db)
    quicker = await client.post(
        f"/staff/tickets/{similar.code}/answer-entry",
        data={"csrf_token": token, "entry_id": "registration_bsn"},
    )
    assert quicker.status_code == 303
    sent = await client.post(
        f"/staff/tickets/{first.code}/answer-entry",
        data={"csrf_token": token, "entry_id": "registration_bsn", "also": [similar.code]},
    )
    assert sent.status_code == 303
    assert "skipped=1" in sent.headers["location"]
    assert (await ticket_now(db, first.id)).state == "answered"


async def test_an_entry_answer_goes_in_the_newcomers_language_with_its_sources(
    client: httpx.AsyncClient, db: Sessions, engine: FakeLibreTranslate
) -> None:
    ticket = await new_ticket(db)
    token = await agent_client(client, db)
    unknown = await client.post(
        f"/staff/tickets/{ticket.code}/answer-entry",
        data={"csrf_token": token, "entry_id": "no_such_entry"},
    )
    assert unknown.status_code == 422
    assert "niet (meer) in de kennisbank" in unknown.text
    before = len(engine.state.requests)
    sent = await client.post(
        f"/staff/tickets/{ticket.code}/answer-entry",
        data={"csrf_token": token, "entry_id": "registration_bsn"},
    )
    assert sent.status_code == 303
    now = await ticket_now(db, ticket.id)
    assert now.state == "answered"
    assert now.answer_entry_id == "registration_bsn"
    assert not now.answer_machine_translated
    assert now.answer is not None
    assert "Джерела" in now.answer
    assert "https://" in now.answer
    assert len(engine.state.requests) == before  # no machine translation was needed


async def test_close_needs_a_reason_and_shows_in_the_history(
    client: httpx.AsyncClient, db: Sessions
) -> None:
    ticket = await new_ticket(db)
    token = await agent_client(client, db)
    bare = await client.post(f"/staff/tickets/{ticket.code}/close", data={"csrf_token": token})
    assert bare.status_code == 422
    assert "Kies een reden" in bare.text
    closed = await client.post(
        f"/staff/tickets/{ticket.code}/close", data={"csrf_token": token, "reason": "duplicate"}
    )
    assert closed.status_code == 303
    page = await client.get(closed.headers["location"])
    assert "De vraag is gesloten." in page.text
    assert "Gesloten: Anna de Vries (Dubbele vraag)" in page.text
    assert (await ticket_now(db, ticket.id)).close_reason == "duplicate"


async def test_without_an_engine_the_page_says_the_answer_goes_as_written(
    db: Sessions, tmp_path: Path
) -> None:
    app = staff_app(db, staff_settings(tmp_path))
    app.state.entry_search = None
    ticket = await new_ticket(db)
    async with second_client(app) as client:
        await make_staff(db, email="eva@almere.example", name="Eva")
        assert (await sign_in(client, email="eva@almere.example")).status_code == 303
        page = await client.get(f"/staff/tickets/{ticket.code}")
        assert "Er is geen vertaalprogramma ingesteld. De nieuwkomer leest Oekraïens." in page.text
        assert f'<p lang="uk" class="original">{QUESTION_UK}</p>' in page.text
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        sent = await client.post(
            f"/staff/tickets/{ticket.code}/answer", data={"csrf_token": token, "text": "Bel ons."}
        )
    assert sent.status_code == 303
    now = await ticket_now(db, ticket.id)
    assert now.answer == "Bel ons."
    assert not now.answer_machine_translated


async def test_an_english_speaking_agent_reads_and_previews_in_english(
    client: httpx.AsyncClient, db: Sessions
) -> None:
    ticket = await new_ticket(db)
    token = await agent_client(client, db, language="en")
    page = shown(await client.get(f"/staff/tickets/{ticket.code}"))
    assert "Translated by a computer from Ukrainian" in page
    assert "<en> " in page
    assert "I take this question" in page
    preview = shown(
        await client.post(
            f"/staff/tickets/{ticket.code}/preview",
            data={"csrf_token": token, "text": "Please call us."},
        )
    )
    assert "This is what the newcomer reads (Ukrainian):" in preview
    assert "<en> <uk> Please call us." in preview

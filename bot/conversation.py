"""One turn of a conversation, the same for every channel.

The gateway decides the language, keeps users from typing internal intents, turns the
bot's buttons into short single-use tokens, and renders Rasa's answers as typed replies.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import repository
from bot.db.models import Conversation, utcnow
from bot.escalation import tickets
from bot.escalation.office_hours import AnswerTimes
from bot.escalation.tickets import ExcerptLine, display_code
from bot.faq.build import FAQ_INTENT_PREFIX
from bot.faq.situations import SITUATION_INTENT
from bot.insights import recording
from bot.language import SUPPORTED, Language, LanguageDecider
from bot.metrics import count_answer
from bot.payloads import Payload, clean_text
from bot.privacy.redact import redact
from bot.privacy.requests import REQUESTS, PrivacyRequests
from bot.rasa_client import RasaClient, RasaMessage
from bot.rate_limit import RateLimiter
from bot.safety.crisis import crisis_reply, detect_crisis
from bot.texts import Texts
from bot.transliteration import latin_to_cyrillic
from bot.turns import FaqReference, Reply, ReplyButton, Turn

log = logging.getLogger("wegwijs.conversation")

CRISIS_TICKET = "@crisis_ticket"
# Payloads the gateway answers itself, never passed to Rasa.
GATEWAY_REQUESTS = (*REQUESTS, CRISIS_TICKET)
PLACEHOLDER = re.compile(r"\[\[([a-z_]+)\]\]")
# What the actions say when they did not understand (actions/fallback.py, actions/faq.py).
FALLBACK_MESSAGES = ("default", "offer_human")


class BadInput(Exception):
    """Input we answer with a clear message instead of passing it on."""

    status = 422

    def __init__(self, code: str, language: Language, message: str) -> None:
        self.code = code
        self.language = language
        self.message = message
        super().__init__(code)


class RateLimited(BadInput):
    """Too many messages in a short time: answered politely, not passed on."""

    status = 429


class ConversationService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        rasa: RasaClient,
        decider: LanguageDecider,
        texts: Texts,
        links: dict[str, str],
        max_message_chars: int,
        limiter: RateLimiter | None = None,
        privacy: PrivacyRequests | None = None,
        answer_times: AnswerTimes | None = None,
    ) -> None:
        self._sessions = sessions
        self._rasa = rasa
        self._decider = decider
        self._texts = texts
        self._links = links
        self._max_chars = max_message_chars
        self._limiter = limiter
        self._privacy = privacy
        self._answer_times = answer_times
        # The municipality's time zone (TIMEZONE): the editors' pages count in its weeks.
        self._zone = answer_times.hours.timezone if answer_times else dt.timezone.utc

    @property
    def texts(self) -> Texts:
        return self._texts

    async def language_of(self, conversation_id: str, *, hint: str | None = None) -> Language:
        """The conversation's language, for messages outside a turn (errors, deliveries)."""
        async with self._sessions() as session:
            conversation = await repository.get_conversation(
                session, conversation_id=conversation_id
            )
        if conversation is not None and conversation.language in SUPPORTED:
            return conversation.language
        return self._decider.decide("", hint=hint).language

    async def start(self, *, conversation_id: str, channel: str, hint: str | None = None) -> Turn:
        """First contact (or /start): the greeting, in the conversation's or the hinted language.

        The greeting does not fix the conversation's language: the first real message (or a
        language button) does, so "привіт" after a Dutch greeting is answered in Ukrainian.
        """
        async with self._sessions.begin() as session:
            conversation = await repository.get_or_create_conversation(
                session, conversation_id=conversation_id, channel=channel
            )
            language = self._conversation_language(conversation, hint=hint)
        return await self._ask_rasa(conversation_id, channel, "/greet", language, [])

    async def handle_text(
        self, *, conversation_id: str, channel: str, text: str, hint: str | None = None
    ) -> Turn:
        await self._check_rate(conversation_id, hint)
        cleaned = clean_text(text)
        if len(text) > self._max_chars or not cleaned:
            # Checked before any database work; the language is looked up only to refuse.
            language = await self.language_of(conversation_id, hint=hint)
            code = "empty_message" if not cleaned else "message_too_long"
            message = self._texts.gateway_text(code, language, limit=self._max_chars)
            raise BadInput(code, language, message)
        # Personal numbers go before anything is stored or passed on; a crisis comes first.
        redaction = redact(cleaned)
        crisis = detect_crisis(cleaned)
        notices: list[Reply] = []
        async with self._sessions.begin() as session:
            conversation = await repository.get_or_create_conversation(
                session, conversation_id=conversation_id, channel=channel
            )
            decision = self._decider.decide(
                cleaned,
                current=conversation.language if conversation.language in SUPPORTED else None,
                explicit=conversation.language_explicit,
                hint=hint,
            )
            language = decision.language
            if crisis is None and decision.latin:
                crisis = detect_crisis(latin_to_cyrillic(cleaned))
            if decision.changed:
                conversation.language_explicit = False
            if decision.russian and not conversation.russian_notice_sent:
                conversation.russian_notice_sent = True
                notices.append(self._system(language, "russian_notice"))
            elif decision.changed and not decision.russian:
                notices.append(self._system(language, "language_switched"))
            conversation.language = language
            conversation.last_seen_at = utcnow()
            if crisis is not None:
                conversation.crisis_at = utcnow()
                conversation.crisis_question = redaction.text
        if redaction.kinds:
            notices.append(self._redaction_notice(language, redaction.kinds))
        started = utcnow()
        if crisis is not None:
            # The kind of crisis only: never the text.
            log.warning("crisis message answered", extra={"kind": crisis.kind, "channel": channel})
            turn = replace(await self._crisis_turn(conversation_id, language, notices), crisis=True)
        else:
            # The model knows Cyrillic: Ukrainian typed in Latin letters is read back first.
            asked = latin_to_cyrillic(redaction.text) if decision.latin else redaction.text
            turn = await self._ask_rasa(conversation_id, channel, asked, language, notices)
        return await self._record(conversation_id, turn, started, text=redaction.text)

    async def _record(
        self,
        conversation_id: str,
        turn: Turn,
        started: dt.datetime,
        *,
        text: str | None,
        chosen: str | None = None,
    ) -> Turn:
        """The turn event for the editors (bot/insights/), at the moment it happens; `text`
        None for a button (its escalation marks the events before it); `chosen`, an entry a
        button led to, taken from the offer before it."""
        async with self._sessions.begin() as session:
            if chosen is not None:
                await recording.record_choice(
                    session, conversation_id=conversation_id, entry_id=chosen
                )
            ticket_id = await recording.ticket_made_since(
                session, conversation_id=conversation_id, since=started
            )
            if ticket_id is not None:
                turn = replace(turn, escalated=True)
            if text is not None:
                await recording.record_turn(
                    session, conversation_id=conversation_id, turn=turn, text=text,
                    ticket_id=ticket_id, zone=self._zone,
                )  # fmt: skip
            elif ticket_id is not None:
                await recording.mark_escalation(
                    session, conversation_id=conversation_id, ticket_id=ticket_id
                )
        if text is not None:
            count_answer(turn)  # the operators' metric, the same outcome as the turn event
        return turn

    async def handle_button(
        self, *, conversation_id: str, channel: str, token: str, hint: str | None = None
    ) -> Turn:
        await self._check_rate(conversation_id, hint)
        started = utcnow()
        async with self._sessions.begin() as session:
            conversation = await repository.get_or_create_conversation(
                session, conversation_id=conversation_id, channel=channel
            )
            language = self._conversation_language(conversation, hint=hint)
            payload_text = await repository.redeem_button(
                session, conversation_id=conversation_id, token=token
            )
            conversation.last_seen_at = utcnow()
            situation_chosen = False
            if payload_text in GATEWAY_REQUESTS:
                gateway_request = payload_text
            else:
                gateway_request = None
                payload = Payload.parse(payload_text) if payload_text else None
                if payload is None:
                    return Turn(
                        language=language, replies=[self._system(language, "button_expired")]
                    )
                chosen = payload.entities.get("chosen_language")
                if payload.intent == "change_language" and chosen in SUPPORTED:
                    conversation.language = chosen
                    conversation.language_explicit = True
                    language = chosen
                situation_chosen = payload.intent == SITUATION_INTENT
                if payload.intent.startswith(FAQ_INTENT_PREFIX):
                    await recording.record_choice(
                        session,
                        conversation_id=conversation_id,
                        entry_id=payload.intent.removeprefix(FAQ_INTENT_PREFIX),
                    )
        if gateway_request is not None:
            return await self._gateway_request(conversation_id, channel, gateway_request, language)
        turn = await self._ask_rasa(conversation_id, channel, payload_text or "", language, [])
        # A situation button answers the question that waited for it: its offer was taken.
        chosen_entry = turn.entry_id if situation_chosen else None
        return await self._record(conversation_id, turn, started, text=None, chosen=chosen_entry)

    async def choose_language(
        self, *, conversation_id: str, channel: str, language: Language
    ) -> Turn:
        """The user chose a language outside the chat (the widget's switch): an explicit choice.

        Rasa hears it as the language button would send it, so the reply is the same.
        """
        async with self._sessions.begin() as session:
            conversation = await repository.get_or_create_conversation(
                session, conversation_id=conversation_id, channel=channel
            )
            conversation.language = language
            conversation.language_explicit = True
            conversation.last_seen_at = utcnow()
        payload = "/change_language" + json.dumps(
            {"chosen_language": language}, separators=(",", ":")
        )
        return await self._ask_rasa(conversation_id, channel, payload, language, [])

    async def handle_payload(
        self, *, conversation_id: str, channel: str, payload: str, hint: str | None = None
    ) -> Turn:
        """A payload the gateway itself sends (a channel command such as /help)."""
        async with self._sessions.begin() as session:
            conversation = await repository.get_or_create_conversation(
                session, conversation_id=conversation_id, channel=channel
            )
            language = self._conversation_language(conversation, hint=hint)
        if payload in GATEWAY_REQUESTS:
            return await self._gateway_request(conversation_id, channel, payload, language)
        return await self._ask_rasa(conversation_id, channel, payload, language, [])

    async def _gateway_request(
        self, conversation_id: str, channel: str, request: str, language: Language
    ) -> Turn:
        """A payload the gateway answers itself (GATEWAY_REQUESTS), never passed to Rasa."""
        if request == CRISIS_TICKET:
            return await self._crisis_ticket(conversation_id, channel, language)
        return await self._privacy_request(conversation_id, request, language)

    def _redaction_notice(self, language: Language, kinds: tuple[str, ...]) -> Reply:
        names = [self._texts.gateway_text(f"pii_{kind}", language) for kind in kinds]
        joined = self._texts.gateway_text("pii_and", language).join(names)
        return Reply(
            text=self._texts.gateway_text("redacted", language, what=joined),
            language=language,
            sender="system",
        )

    async def _crisis_turn(
        self, conversation_id: str, language: Language, notices: list[Reply]
    ) -> Turn:
        """112, 113 and Veilig Thuis at once, and the offer to send the message to a person."""
        spec = self._texts.button("crisis_send", language)
        async with self._sessions.begin() as session:
            token = await repository.issue_button(
                session, conversation_id=conversation_id, payload=spec.payload
            )
        reply = Reply(
            text=crisis_reply(language, root=self._texts.root),
            language=language,
            sender="system",
            buttons=(ReplyButton(id=token, title=spec.title),),
        )
        return Turn(language=language, replies=[reply, *notices])

    async def _crisis_ticket(self, conversation_id: str, channel: str, language: Language) -> Turn:
        """The newcomer chose to send their crisis message to staff: an urgent ticket, made
        here (the message never went to Rasa), with the same outbox notification."""
        if self._answer_times is None:
            return Turn(language=language, replies=[self._system(language, "button_expired")])
        async with self._sessions.begin() as session:
            conversation = await repository.get_conversation(
                session, conversation_id=conversation_id
            )
            question = conversation.crisis_question if conversation else None
            if conversation is None or not question:
                return Turn(language=language, replies=[self._system(language, "button_expired")])
            ticket = await tickets.find_duplicate(
                session, conversation_id=conversation_id, question=question
            )
            if ticket is None:
                ticket = await tickets.create_ticket(
                    session,
                    conversation_id=conversation_id,
                    channel=channel,
                    language=language,
                    question=question,
                    excerpt=[ExcerptLine(sender="newcomer", text=question)],
                    urgent=True,
                )
                ticket.expected_by = self._answer_times.expected(ticket.created_at, waiting=0)
            conversation.crisis_question = None
            code, expected = ticket.code, ticket.expected_by or ticket.created_at
        text = self._texts.gateway_text(
            "crisis_ticket_created",
            language,
            code=display_code(code),
            expected=self._answer_times.describe(expected, language),
        )
        return Turn(
            language=language, replies=[Reply(text=text, language=language, sender="system")]
        )

    async def _privacy_request(
        self, conversation_id: str, request: str, language: Language
    ) -> Turn:
        """/mydata and /forget: answered here, never by Rasa (bot/privacy/requests.py)."""
        if self._privacy is None:
            return Turn(language=language, replies=[self._system(language, "button_expired")])
        answers = await self._privacy.answer(request, conversation_id, language)
        replies: list[Reply] = []
        async with self._sessions.begin() as session:
            for text, names in answers:
                buttons = []
                for name in names:
                    spec = self._texts.button(name, language)
                    token = await repository.issue_button(
                        session, conversation_id=conversation_id, payload=spec.payload
                    )
                    buttons.append(ReplyButton(id=token, title=spec.title))
                replies.append(
                    Reply(text=text, language=language, buttons=tuple(buttons), sender="system")
                )
        return Turn(language=language, replies=replies)

    def _conversation_language(
        self, conversation: Conversation, *, hint: str | None = None
    ) -> Language:
        if conversation.language in SUPPORTED:
            return conversation.language
        return self._decider.decide("", hint=hint).language

    async def _check_rate(self, conversation_id: str, hint: str | None) -> None:
        if self._limiter is None or await self._limiter.allow(conversation_id):
            return
        language = await self.language_of(conversation_id, hint=hint)
        raise RateLimited(
            "rate_limited", language, self._texts.gateway_text("rate_limited", language)
        )

    def _system(self, language: Language, key: str) -> Reply:
        return Reply(
            text=self._texts.gateway_text(key, language), language=language, sender="system"
        )

    async def _ask_rasa(
        self,
        conversation_id: str,
        channel: str,
        text: str,
        language: Language,
        notices: list[Reply],
    ) -> Turn:
        messages = await self._rasa.send(
            sender=conversation_id,
            text=text,
            metadata={"language": language, "channel": channel},
        )
        replies = await self._render(conversation_id, language, messages)
        return Turn(
            language=language,
            replies=[*notices, *replies],
            offered=self._offered(messages),
            fallback=self._is_fallback(language, messages),
        )

    @staticmethod
    def _offered(messages: list[RasaMessage]) -> tuple[str, ...]:
        """Knowledge-base entries offered as buttons ("did you mean", or "see also" under an
        answer), or weighed while the bot asks the newcomer's situation."""
        offered: list[str] = []
        for message in messages:
            weighed = message.custom.get("situation_asked")
            if isinstance(weighed, list):
                offered.extend(str(entry) for entry in weighed)
            for button in message.buttons:
                payload = Payload.parse(button.payload)
                if payload is not None and payload.intent.startswith(FAQ_INTENT_PREFIX):
                    offered.append(payload.intent.removeprefix(FAQ_INTENT_PREFIX))
        return tuple(offered)

    def _is_fallback(self, language: Language, messages: list[RasaMessage]) -> bool:
        """The bot said it did not understand (the actions' texts/messages.yml wording)."""
        said = {message.text for message in messages if message.text}
        return any(self._texts.message(key, language)[0] in said for key in FALLBACK_MESSAGES)

    async def _render(
        self, conversation_id: str, language: Language, messages: list[RasaMessage]
    ) -> list[Reply]:
        if not any(message.buttons for message in messages):
            return await self._render_with(None, conversation_id, language, messages)
        async with self._sessions.begin() as session:
            return await self._render_with(session, conversation_id, language, messages)

    async def _render_with(
        self,
        session: AsyncSession | None,
        conversation_id: str,
        language: Language,
        messages: list[RasaMessage],
    ) -> list[Reply]:
        """Rasa's messages as replies; `session` stores the buttons' tokens (None: no buttons)."""
        replies: list[Reply] = []
        joinable = False  # Rasa splits a text at blank lines: join the parts again
        for message in messages:
            faq = message.custom.get("faq")
            if isinstance(faq, dict) and replies:
                # An FAQ answer's metadata follows its text as a custom message.
                replies[-1] = replace(
                    replies[-1], faq=FaqReference(id=str(faq["id"]), topic=str(faq["topic"]))
                )
                joinable = False
                continue
            if message.text is None and not message.buttons:
                continue
            text = self._fill_links(message.text or "")
            if joinable and replies:
                replies[-1] = replace(replies[-1], text=f"{replies[-1].text}\n\n{text}")
            else:
                replies.append(Reply(text=text, language=language))
            if message.buttons:
                assert session is not None  # _render opens one when there are buttons
                buttons = [
                    ReplyButton(
                        id=await repository.issue_button(
                            session, conversation_id=conversation_id, payload=button.payload
                        ),
                        title=button.title,
                    )
                    for button in message.buttons
                ]
                replies[-1] = replace(replies[-1], buttons=tuple(buttons))
            joinable = not message.buttons
        return replies

    def _fill_links(self, text: str) -> str:
        return PLACEHOLDER.sub(lambda m: self._links.get(m[1], m[0]), text)

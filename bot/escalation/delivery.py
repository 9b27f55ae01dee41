"""What a staff answer looks like to the newcomer, and its delivery to a web conversation.

The answer is marked as coming from a municipal employee (not the bot) and is followed by
"did this solve your question?" with two buttons whose payloads carry the ticket code. The
Telegram delivery (bot/channels/telegram/) sends the same messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import repository
from bot.db.models import InboxMessage, Ticket, utcnow
from bot.escalation import history
from bot.escalation.outbox import Context, Finish, Handler, RetryLater
from bot.escalation.tickets import add_job, display_code
from bot.language import SUPPORTED, Language
from bot.texts import Texts


@dataclass(frozen=True)
class OutgoingButton:
    title: str
    payload: str


@dataclass(frozen=True)
class OutgoingMessage:
    sender: Literal["staff", "system"]
    text: str
    buttons: tuple[OutgoingButton, ...] = ()


def ticket_language(ticket: Ticket) -> Language:
    return ticket.language if ticket.language in SUPPORTED else "nl"


def ticket_payload(intent: str, code: str) -> str:
    return "/" + intent + json.dumps({"ticket": code}, separators=(",", ":"))


def answer_messages(ticket: Ticket, texts: Texts) -> list[OutgoingMessage]:
    """The staff answer, then the question whether it solved theirs."""
    language = ticket_language(ticket)
    answer = texts.gateway_text(
        "staff_answer", language, code=display_code(ticket.code), answer=ticket.answer or ""
    )
    buttons = tuple(
        OutgoingButton(
            title=texts.button(name, language).title,
            payload=ticket_payload(texts.button(name, language).payload.lstrip("/"), ticket.code),
        )
        for name in ("ticket_solved", "ticket_not_solved")
    )
    followup = texts.gateway_text("staff_answer_followup", language)
    return [
        OutgoingMessage(sender="staff", text=answer),
        OutgoingMessage(sender="system", text=followup, buttons=buttons),
    ]


def mark_delivered(ticket_id: int, *, state: str = "delivered") -> Finish:
    """Records how the delivery ended; an answer that can never arrive is told to staff."""

    async def finish(session: AsyncSession) -> None:
        ticket = await session.get(Ticket, ticket_id)
        if ticket is not None:
            ticket.delivery_state = state
            ticket.delivered_at = utcnow() if state == "delivered" else None
            history.record(session, ticket, "failed" if state == "failed" else "delivered")
            if state == "failed":
                dedupe = f"notify_undelivered:{ticket.id}:{ticket.answer_count}"
                add_job(session, ticket, "notify_undelivered", dedupe)

    return finish


class WebDelivery:
    """Puts the answer in the conversation's inbox, in the transaction that marks the job
    done: the widget shows it at once if the page is open, else when the chat is opened."""

    def __init__(self, texts: Texts) -> None:
        self._texts = texts

    async def __call__(self, context: Context, ticket: Ticket) -> Finish:
        messages = answer_messages(ticket, self._texts)
        language = ticket_language(ticket)
        ticket_id, conversation_id = ticket.id, ticket.conversation_id
        delivered = mark_delivered(ticket_id)

        async def finish(session: AsyncSession) -> None:
            for message in messages:
                buttons = [
                    {
                        "id": await repository.issue_button(
                            session, conversation_id=conversation_id, payload=button.payload
                        ),
                        "title": button.title,
                    }
                    for button in message.buttons
                ]
                session.add(
                    InboxMessage(
                        conversation_id=conversation_id,
                        ticket_id=ticket_id,
                        sender=message.sender,
                        language=language,
                        text=message.text,
                        buttons=json.dumps(buttons, ensure_ascii=False),
                    )
                )
            await delivered(session)

        return finish


class AnswerRouter:
    """Delivers an answer on the channel the newcomer used. A channel that is not running
    in this gateway (Telegram without a token) leaves the job for later, not lost."""

    def __init__(self, by_channel: dict[str, Handler]) -> None:
        self._by_channel = by_channel

    async def __call__(self, context: Context, ticket: Ticket) -> Finish | None:
        handler = self._by_channel.get(ticket.channel)
        if handler is None:
            raise RetryLater(f"the {ticket.channel} channel is not running in this gateway")
        return await handler(context, ticket)


async def staff_use_the_cli(context: Context, ticket: Ticket) -> Finish | None:
    """No staff Telegram chat is configured: staff find new tickets with `wegwijs staff`."""
    return None

"""What a turn says, the same for every channel: the replies (text, language, buttons, the
FAQ entry answered) and their JSON shape on the web API, which the idempotent replay
(bot/idempotency.py) rebuilds too. Below the channels and the conversation service both."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field

from bot.language import Language


@dataclass(frozen=True)
class ReplyButton:
    id: str
    title: str


@dataclass(frozen=True)
class FaqReference:
    id: str
    topic: str


@dataclass(frozen=True)
class Reply:
    text: str
    language: Language
    buttons: tuple[ReplyButton, ...] = ()
    sender: Literal["bot", "staff", "system"] = "bot"
    faq: FaqReference | None = None


@dataclass(frozen=True)
class Turn:
    """`offered`: knowledge-base entries offered as "did you mean" buttons; `fallback`: the
    bot said it did not understand; `escalated`: a ticket was made in this turn; `crisis`:
    the crisis answer. The gateway sets them as it renders the turn (outcome_of reads them)."""

    language: Language
    replies: list[Reply] = field(default_factory=list)
    offered: tuple[str, ...] = ()
    fallback: bool = False
    escalated: bool = False
    crisis: bool = False

    @property
    def entry_id(self) -> str | None:
        """The knowledge-base entry this turn answered with, if any."""
        return next((reply.faq.id for reply in self.replies if reply.faq), None)

    @property
    def topic(self) -> str | None:
        return next((reply.faq.topic for reply in self.replies if reply.faq), None)


Outcome = Literal["answered", "asked", "fallback", "escalated", "crisis"]


def outcome_of(turn: Turn) -> Outcome:
    """What a turn came to, the same for the editors' pages and the metrics: a crisis first,
    then a question sent to staff, an answer from the knowledge base, a "did you mean", and
    "did not understand". Anything else (a greeting, a menu) the bot answered."""
    if turn.crisis:
        return "crisis"
    if turn.escalated:
        return "escalated"
    if turn.entry_id is not None:
        return "answered"
    if turn.offered:
        return "asked"
    if turn.fallback:
        return "fallback"
    return "answered"


class ButtonOut(BaseModel):
    id: str
    title: str


class FaqOut(BaseModel):
    id: str
    topic: str


class MessageOut(BaseModel):
    text: str
    language: Literal["uk", "en", "nl"]
    sender: Literal["bot", "staff", "system"]
    buttons: list[ButtonOut]
    faq: FaqOut | None = None


class TurnOut(BaseModel):
    conversation: str
    language: Literal["uk", "en", "nl"]
    messages: list[MessageOut]
    open_tickets: int | None = Field(
        default=None,
        description="The conversation's questions for staff that are not closed (an answer "
        "may still come: keep the token and poll /updates). None when it could not be read.",
    )


class UpdatesOut(BaseModel):
    conversation: str
    cursor: int = Field(
        description="Send it back as `after`: that confirms the messages up to it were shown."
    )
    open_tickets: int = Field(description="As in a turn: questions for staff not closed.")
    messages: list[MessageOut]


def message_out(reply: Reply) -> MessageOut:
    return MessageOut(
        text=reply.text,
        language=reply.language,
        sender=reply.sender,
        buttons=[ButtonOut(id=b.id, title=b.title) for b in reply.buttons],
        faq=FaqOut(id=reply.faq.id, topic=reply.faq.topic) if reply.faq else None,
    )


def turn_out(token: str, turn: Turn, *, open_tickets: int | None) -> TurnOut:
    return TurnOut(
        conversation=token,
        language=turn.language,
        messages=[message_out(reply) for reply in turn.replies],
        open_tickets=open_tickets,
    )

"""The web channel: a small JSON API used by the widget, the terminal chat, tests and benchmarks.

    POST /api/conversations                      start: {"language": "nl"?} -> greeting
    POST /api/conversations/{token}/messages     {"text": "..."} or {"button": "<id>"}
    POST /api/conversations/{token}/language     {"language": "uk"}: the widget's language switch
    GET  /api/widget/texts                       the widget's labels (texts/widget.yml)

Replies carry their language and, for knowledge-base answers, the FAQ id and topic.
Errors are JSON with a code and a message in the user's language. The demo page, in Dutch
at / (bot/app.py), is also served in English at /en and in Ukrainian at /uk.
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.conversation import BadInput, ConversationService, Reply, Turn
from bot.language import SUPPORTED
from bot.pseudonym import Pseudonymizer, new_web_token
from bot.rasa_client import RasaUnavailable

TOKEN_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"  # noqa: S105 (a pattern, not a secret)
STATIC = FilePath(__file__).resolve().parent.parent / "static"
DEMO_PAGES = {"en": STATIC / "en.html", "uk": STATIC / "uk.html"}


class StartRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    language: str | None = Field(
        default=None, max_length=16, description="The page's language (a hint)."
    )


class MessageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, max_length=20_000)
    button: str | None = Field(
        default=None, max_length=32, description="The id of a button the bot sent."
    )
    language: str | None = Field(
        default=None, max_length=16, description="The page's language (a hint)."
    )

    @model_validator(mode="after")
    def _one_of(self) -> MessageRequest:
        if (self.text is None) == (self.button is None):
            raise ValueError("send either 'text' or 'button'")
        return self


class LanguageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    language: Literal["uk", "en", "nl"] = Field(description="The language the user chose.")


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


def _message_out(reply: Reply) -> MessageOut:
    return MessageOut(
        text=reply.text,
        language=reply.language,
        sender=reply.sender,
        buttons=[ButtonOut(id=b.id, title=b.title) for b in reply.buttons],
        faq=FaqOut(id=reply.faq.id, topic=reply.faq.topic) if reply.faq else None,
    )


def _turn_out(token: str, turn: Turn) -> TurnOut:
    return TurnOut(
        conversation=token,
        language=turn.language,
        messages=[_message_out(reply) for reply in turn.replies],
    )


def error_response(status: int, code: str, language: str, message: str) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content={"error": {"code": code, "language": language, "message": message}},
    )


def get_service(request: Request) -> ConversationService:
    service: ConversationService = request.app.state.service
    return service


def get_pseudonymizer(request: Request) -> Pseudonymizer:
    pseudonymizer: Pseudonymizer = request.app.state.pseudonymizer
    return pseudonymizer


Service = Annotated[ConversationService, Depends(get_service)]
Pseudonyms = Annotated[Pseudonymizer, Depends(get_pseudonymizer)]


def build_router() -> APIRouter:
    """The web channel's API under /api, and the demo page in English and Ukrainian."""
    router = APIRouter()
    router.include_router(_api_router())
    router.include_router(_demo_router())
    return router


def _api_router() -> APIRouter:
    router = APIRouter(prefix="/api", tags=["web channel"])

    @router.post("/conversations", status_code=201, response_model=None)
    async def start_conversation(
        body: StartRequest, service: Service, pseudonyms: Pseudonyms
    ) -> TurnOut | JSONResponse:
        """Starts a conversation: returns its token (keep it) and the greeting."""
        token = new_web_token()
        conversation_id = pseudonyms.conversation_id("web", token)
        try:
            turn = await service.start(
                conversation_id=conversation_id, channel="web", hint=body.language
            )
        except RasaUnavailable:
            return await _unavailable(service, conversation_id, body.language)
        return _turn_out(token, turn)

    @router.post("/conversations/{token}/messages", response_model=None)
    async def send_message(
        token: Annotated[str, Path(pattern=TOKEN_PATTERN)],
        body: MessageRequest,
        service: Service,
        pseudonyms: Pseudonyms,
    ) -> TurnOut | JSONResponse:
        """Sends the user's text, or a button they pressed; returns the bot's replies."""
        conversation_id = pseudonyms.conversation_id("web", token)
        try:
            if body.button is not None:
                turn = await service.handle_button(
                    conversation_id=conversation_id,
                    channel="web",
                    token=body.button,
                    hint=body.language,
                )
            else:
                turn = await service.handle_text(
                    conversation_id=conversation_id,
                    channel="web",
                    text=body.text or "",
                    hint=body.language,
                )
        except BadInput as error:
            return error_response(error.status, error.code, error.language, error.message)
        except RasaUnavailable:
            return await _unavailable(service, conversation_id, body.language)
        return _turn_out(token, turn)

    @router.post("/conversations/{token}/language", response_model=None)
    async def choose_language(
        token: Annotated[str, Path(pattern=TOKEN_PATTERN)],
        body: LanguageRequest,
        service: Service,
        pseudonyms: Pseudonyms,
    ) -> TurnOut | JSONResponse:
        """The widget's language switch: the choice is explicit; the reply confirms it."""
        conversation_id = pseudonyms.conversation_id("web", token)
        try:
            turn = await service.choose_language(
                conversation_id=conversation_id, channel="web", language=body.language
            )
        except RasaUnavailable:
            return await _unavailable(service, conversation_id, body.language)
        return _turn_out(token, turn)

    @router.get("/widget/texts")
    async def widget_texts(service: Service) -> dict[str, dict[str, str]]:
        """The widget's labels in every language, so its language switch needs no reload."""
        table = service.texts.widget
        return {
            language: {key: labels[language] for key, labels in table.items()}
            for language in SUPPORTED
        }

    return router


def _demo_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/en")
    async def demo_page_english() -> FileResponse:
        return FileResponse(DEMO_PAGES["en"])

    @router.get("/uk")
    async def demo_page_ukrainian() -> FileResponse:
        return FileResponse(DEMO_PAGES["uk"])

    return router


async def _unavailable(
    service: ConversationService, conversation_id: str, hint: str | None
) -> JSONResponse:
    language = await service.language_of(conversation_id, hint=hint)
    message = service.texts.gateway_text("assistant_unavailable", language)
    return error_response(503, "assistant_unavailable", language, message)

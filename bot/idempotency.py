"""A message sent twice is answered once (the web API's Idempotency-Key header), and each
answer says where its time went (the Server-Timing header).

Why: behind a load balancer a message may arrive twice: the client retries after a
connection error because the gateway that had it died, or the answer was lost on the way
back. POSTing a message is not idempotent by itself: Rasa would hear the newcomer say it
twice. So clients send `Idempotency-Key: <random id>` with every message (the same id on a
retry), and the gateways keep, for each key (scoped to the conversation), a record:

    pending (which gateway, until when) -> done (the answer, replayed to a retry) | failed

A retry that finds the key pending waits for the answer. One that finds it failed, or pending
past its lease (that gateway died), takes it over and first asks Rasa's tracker store whether
Rasa already has the message (the key travels in the message's metadata, bot/rasa_client.py):
if so, the answer is rebuilt from the tracker; if not, the message goes to Rasa again.
Records live in Redis when REDIS_URL is set (several gateways), else in memory, for a day.
A done record holds the answer, which can quote the newcomer, so each record is also listed
under its conversation and /forget erases them with the rest (bot/key_store.py).
Requests without the header work as before.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import secrets
import socket
import time
from typing import TYPE_CHECKING, Any

from bot.key_store import KeyStore, key_store
from bot.rasa_client import MESSAGE_KEY, RASA_SECONDS, RasaMessage, rasa_message
from bot.texts import load_texts

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy.ext.asyncio import AsyncEngine
    from starlette.types import Message, Receive, Scope, Send

    from bot.config import Settings
    from bot.language import Language

HEADER = b"idempotency-key"
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")
PATH = re.compile(r"^/api/conversations/(?P<token>[A-Za-z0-9_-]{16,64})/(messages|language)$")
POLL_SECONDS = 0.1


class TrackerEvents:
    """Reads Rasa's tracker store (SQL) to see whether Rasa already has a message."""

    def __init__(self, tracker_store_url: str) -> None:
        self._url = tracker_store_url
        self._engine: AsyncEngine | None = None

    async def answer_to(
        self, conversation_id: str, message_key: str
    ) -> tuple[str | None, list[RasaMessage]] | None:
        """The language and bot messages that followed the message, or None if Rasa has not
        got it."""
        from sqlalchemy import text

        from bot.db.session import make_engine

        if self._engine is None:
            self._engine = make_engine(self._url)
        query = text(
            "SELECT type_name, data FROM events WHERE sender_id = :sender AND id >= ("
            " SELECT max(id) FROM events WHERE sender_id = :sender AND type_name = 'user'"
            " AND data LIKE :pattern) ORDER BY id"
        )
        pattern = f'%"message_key": "{message_key}"%'
        async with self._engine.connect() as connection:
            rows = (
                await connection.execute(query, {"sender": conversation_id, "pattern": pattern})
            ).all()
        if not rows:
            return None
        first = json.loads(rows[0][1])
        language = (first.get("metadata") or {}).get("language")
        messages: list[RasaMessage] = []
        for type_name, raw in rows[1:]:
            if type_name == "user":
                break
            if type_name != "bot":
                continue
            event = json.loads(raw)
            messages.append(rasa_message(event.get("text"), event.get("data") or {}))
        return language, messages


class GatewayMiddleware:
    """Wraps the gateway's ASGI app: idempotent messages and Server-Timing on the chat API."""

    def __init__(self, app: FastAPI, *, settings: Settings, store: KeyStore | None = None) -> None:
        self.app = app
        self._settings = settings
        self._store = store or key_store(settings)
        self._tracker = TrackerEvents(settings.effective_tracker_store_url)
        self._owner = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self._texts = load_texts(settings.project_root, settings.municipality)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rasa_seconds: list[float] = []
        rasa_token = RASA_SECONDS.set(rasa_seconds)

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                total = (time.perf_counter() - started) * 1000
                rasa = sum(rasa_seconds) * 1000
                timing = f"gateway;dur={total - rasa:.1f}, rasa;dur={rasa:.1f}"
                headers = [*message["headers"], (b"server-timing", timing.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            match = PATH.match(scope["path"])
            key = dict(scope["headers"]).get(HEADER)
            if scope["method"] != "POST" or match is None or key is None:
                await self.app(scope, receive, timed_send)
            else:
                await self._once(scope, receive, timed_send, match["token"], key.decode("latin-1"))
        finally:
            RASA_SECONDS.reset(rasa_token)

    async def _once(self, scope: Scope, receive: Receive, send: Send, token: str, key: str) -> None:
        if not KEY_PATTERN.match(key):
            await self._error(scope, send, 422, "invalid_request", detail="Idempotency-Key")
            return
        scoped = hashlib.sha256(f"{token}:{key}".encode()).hexdigest()[:40]
        lease = self._settings.idempotency_lease_seconds
        deadline = time.monotonic() + lease + 5.0
        conversation = self._conversation_id(token)
        while True:
            claim = await self._store.claim(
                scoped, owner=self._owner, lease=lease, conversation=conversation
            )
            if claim.state == "done" and claim.response is not None:
                await _replay(send, claim.response)
                return
            if claim.state in ("new", "retry"):
                break
            if time.monotonic() > deadline:  # still being answered elsewhere: try later
                await self._error(scope, send, 503, "assistant_unavailable")
                return
            await asyncio.sleep(POLL_SECONDS)
        if claim.state == "retry":
            recovered = await self._recover(token, scoped)
            if recovered is not None:
                await self._store.finish(scoped, recovered)
                await _replay(send, recovered)
                return
        await self._forward(scope, receive, send, scoped)

    async def _forward(self, scope: Scope, receive: Receive, send: Send, scoped: str) -> None:
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        body = bytearray()

        async def recording_send(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
            await send(message)

        key_token = MESSAGE_KEY.set(scoped)
        try:
            await self.app(scope, receive, recording_send)
        except BaseException:
            await self._store.fail(scoped)
            raise
        finally:
            MESSAGE_KEY.reset(key_token)
        if 0 < status < 500:
            kept = [
                [k.decode("latin-1"), v.decode("latin-1")]
                for k, v in headers
                if k.lower() in (b"content-type",)
            ]
            await self._store.finish(
                scoped, {"status": status, "headers": kept, "body": body.decode("utf-8")}
            )
        else:
            await self._store.fail(scoped)

    def _conversation_id(self, token: str) -> str:
        """The conversation's pseudonymous id, as /forget knows it (the token's own hash in an
        app without the gateway's pseudonyms)."""
        pseudonyms = getattr(self.app.state, "pseudonymizer", None)
        if pseudonyms is None:
            return hashlib.sha256(token.encode()).hexdigest()
        return str(pseudonyms.conversation_id("web", token))

    async def _recover(self, token: str, scoped: str) -> dict[str, Any] | None:
        """The answer Rasa gave to this message before, if it has it (the tracker store)."""
        from bot.conversation import ConversationService
        from bot.language import SUPPORTED
        from bot.pseudonym import Pseudonymizer
        from bot.turns import TurnOut, message_out

        pseudonyms: Pseudonymizer = self.app.state.pseudonymizer
        service: ConversationService = self.app.state.service
        conversation_id = pseudonyms.conversation_id("web", token)
        found = await self._tracker.answer_to(conversation_id, scoped)
        if found is None:
            return None
        language_found, messages = found
        language: Language = (
            language_found
            if language_found in SUPPORTED
            else await service.language_of(conversation_id)
        )
        # The same rendering as a first answer (button tokens, FAQ references, links).
        replies = await service._render(conversation_id, language, messages)
        body = TurnOut(
            conversation=token,
            language=language,
            messages=[message_out(reply) for reply in replies],
        ).model_dump_json()
        return {"status": 200, "headers": [["content-type", "application/json"]], "body": body}

    async def _error(
        self, scope: Scope, send: Send, status: int, code: str, **values: object
    ) -> None:
        """An error in the API's format, in the page's language (the texts of texts/)."""
        from bot.language import normalize_hint

        accept = dict(scope["headers"]).get(b"accept-language", b"").decode("latin-1")
        language = normalize_hint(accept) or self._settings.default_language
        message = self._texts.gateway_text(code, language, **values)
        content = {"error": {"code": code, "language": language, "message": message}}
        headers = [(b"content-type", b"application/json")]
        if status == 503:
            headers.append((b"retry-after", b"1"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": json.dumps(content).encode()})


async def _replay(send: Send, response: dict[str, Any]) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response["headers"]]
    headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": response["status"], "headers": headers})
    await send({"type": "http.response.body", "body": response["body"].encode("utf-8")})

"""Where a newcomer's staff answer goes: the chat id, sealed so the database never holds it in
the clear."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import struct
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import repository
from bot.db.models import ChannelAddress

log = logging.getLogger("wegwijs.telegram.staff")

CHANNEL = "telegram"
KNOWN_ADDRESSES_MAX = 50_000


# --- where a newcomer's answer goes ---------------------------------------------------------


class AddressSealer:
    """Keeps a Telegram chat id out of the database in the clear (the README promises that the
    database never holds a Telegram id): AES-256-GCM under a key derived from PSEUDONYM_KEY,
    bound to the conversation id (the associated data), so a sealed address is useless
    anywhere else."""

    VERSION = "v2"
    NONCE_BYTES = 12

    def __init__(self, key: bytes) -> None:
        derived = hmac.new(key, b"wegwijs channel address encryption", hashlib.sha256).digest()
        self._aead = AESGCM(derived)

    def seal(self, conversation_id: str, chat_id: int) -> str:
        nonce = secrets.token_bytes(self.NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, struct.pack(">q", chat_id), conversation_id.encode())
        return f"{self.VERSION}:" + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, conversation_id: str, sealed: str) -> int | None:
        """The chat id, or None when the value was not sealed for this conversation."""
        version, _, body = sealed.partition(":")
        if version != self.VERSION:
            return None
        try:
            raw = base64.urlsafe_b64decode(body.encode())
            plain = self._aead.decrypt(
                raw[: self.NONCE_BYTES], raw[self.NONCE_BYTES :], conversation_id.encode()
            )
        except (ValueError, InvalidTag):
            return None
        return int(struct.unpack(">q", plain)[0]) if len(plain) == 8 else None


class TelegramAddresses:
    """The chat a newcomer's staff answer goes to (ChannelAddress), written once per process
    and conversation: a private chat's id never changes."""

    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], sealer: Callable[[], AddressSealer]
    ) -> None:
        self._sessions = sessions
        self._sealer = sealer
        self._known: set[str] = set()

    async def remember(self, conversation_id: str, chat_id: int) -> None:
        """Call after a turn (the conversation row exists then). Failures are logged only:
        the newcomer's reply must not wait on this."""
        if conversation_id in self._known:
            return
        try:
            async with self._sessions.begin() as session:
                row = await session.get(ChannelAddress, conversation_id)
                sealer = self._sealer()
                if row is None:
                    await repository.get_or_create_conversation(
                        session, conversation_id=conversation_id, channel=CHANNEL
                    )
                    session.add(
                        ChannelAddress(
                            conversation_id=conversation_id,
                            channel=CHANNEL,
                            address=sealer.seal(conversation_id, chat_id),
                        )
                    )
                elif row.channel != CHANNEL or sealer.open(conversation_id, row.address) != chat_id:
                    row.channel = CHANNEL
                    row.address = sealer.seal(conversation_id, chat_id)
        except IntegrityError:  # another gateway wrote it at the same moment
            pass
        except (SQLAlchemyError, OSError) as error:
            log.warning("Telegram: a chat address was not stored (%s)", type(error).__name__)
            return
        if len(self._known) >= KNOWN_ADDRESSES_MAX:
            self._known.clear()
        self._known.add(conversation_id)

    async def chat_of(self, conversation_id: str) -> int | None:
        async with self._sessions() as session:
            row = await session.get(ChannelAddress, conversation_id)
        if row is None or row.channel != CHANNEL:
            return None
        return self._sealer().open(conversation_id, row.address)

"""Pseudonymous conversation ids: a keyed hash of the channel's own identity.

Rasa, the logs and the database see only these ids, never a Telegram user id, a name or
an IP address. The same user gets the same id as long as the key stays the same.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

KEY_FILE_NAME = "pseudonym.key"


class Pseudonymizer:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("PSEUDONYM_KEY must be at least 16 bytes")
        self._key = key

    def conversation_id(self, channel: str, external_id: str) -> str:
        digest = hmac.new(self._key, f"{channel}:{external_id}".encode(), hashlib.sha256)
        return f"{channel[:2]}-{digest.hexdigest()[:32]}"


def load_or_create_key(configured: str | None, var_dir: Path) -> bytes:
    """The configured key, or one kept in var/ for local use (created on first run)."""
    if configured:
        return configured.encode()
    path = var_dir / KEY_FILE_NAME
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip().encode()


def new_web_token() -> str:
    """The unguessable conversation token a web widget keeps (192 bits)."""
    return secrets.token_urlsafe(24)

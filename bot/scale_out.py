"""What several gateways and Rasa servers share (README, "Production topology")."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit


def rasa_lock_store_environment(redis_url: str, *, lock_lifetime: int = 15) -> dict[str, str]:
    """The variables endpoints.yml reads for Rasa's lock store.

    Without Redis: Rasa's in-memory lock store (one Rasa server, the default). With REDIS_URL:
    Rasa's Redis lock store, so that two turns of one conversation never run at once on two
    Rasa servers (and SANIC_WORKERS > 1 becomes possible). A server that dies holding a lock
    blocks that conversation until the lock's lifetime ends (TICKET_LOCK_LIFETIME, read by
    Rasa; its default of 60 s is longer than the gateway waits for an answer).
    """
    if not redis_url:
        return {
            "WEGWIJS_LOCK_STORE": "in_memory",
            "WEGWIJS_REDIS_HOST": "",
            "WEGWIJS_REDIS_PORT": "6379",
            "WEGWIJS_REDIS_DB": "0",
            "WEGWIJS_REDIS_PASSWORD": "",
        }
    parts = urlsplit(redis_url)
    if parts.scheme != "redis":
        # Rasa expands endpoints.yml variables as strings: "use_ssl: false" would be true.
        raise ValueError(
            f"REDIS_URL must start with redis:// (Redis on the private network), not "
            f"{parts.scheme}://"
        )
    database = parts.path.lstrip("/") or "0"
    return {
        "WEGWIJS_LOCK_STORE": "redis",
        "WEGWIJS_REDIS_HOST": parts.hostname or "127.0.0.1",
        "WEGWIJS_REDIS_PORT": str(parts.port or 6379),
        "WEGWIJS_REDIS_DB": database,
        "WEGWIJS_REDIS_PASSWORD": unquote(parts.password or ""),
        "TICKET_LOCK_LIFETIME": str(lock_lifetime),
    }

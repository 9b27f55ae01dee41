"""The audit log: every sign-in, opening of a conversation, answer and role change.

The address is shortened before it is stored (IPv4 to its /24, IPv6 to its /48): enough to
see where a session came from, not enough to point at one household."""

from __future__ import annotations

import ipaddress
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.staff_models import AuditEntry


def short_address(host: str | None) -> str | None:
    if not host:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "unknown"
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


async def record(
    session: AsyncSession,
    *,
    actor_id: int | None,
    action: str,
    target: str | None = None,
    address: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Adds one entry in the caller's transaction (it is kept only if the action is)."""
    session.add(
        AuditEntry(
            actor_id=actor_id,
            action=action,
            target=target,
            address=short_address(address),
            detail=detail,
        )
    )

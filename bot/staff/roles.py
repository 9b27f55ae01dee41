"""What an employee may do: agents answer tickets, editors keep the knowledge base, admins
manage users, settings and the audit log. Roles do not imply each other."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum


class Role(str, Enum):
    agent = "agent"
    editor = "editor"
    admin = "admin"

    def __str__(self) -> str:
        return self.value


def parse_roles(stored: str) -> frozenset[Role]:
    """The roles stored comma-separated in staff_users.roles (unknown names are dropped)."""
    known = {role.value for role in Role}
    return frozenset(Role(part) for part in stored.split(",") if part.strip() in known)


def store_roles(roles: Iterable[Role | str]) -> str:
    return ",".join(sorted({Role(role).value for role in roles}))

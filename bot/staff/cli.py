"""`wegwijs staff-user`: the thin command-line face of bot/staff/accounts.py (the first
admin account is made this way)."""

from __future__ import annotations

import argparse
import asyncio

from bot.config import Settings
from bot.db.session import make_engine, make_sessionmaker
from bot.staff.accounts import AccountError, create_user, find_by_email, invite
from bot.staff.audit import record
from bot.staff.roles import Role
from bot.staff.texts import staff_texts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="a new account and its one-time invitation link")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument(
        "--role",
        action="append",
        choices=[role.value for role in Role],
        required=True,
        help="repeat for several roles",
    )
    create.add_argument("--language", choices=["nl", "en"], default="nl")
    again = actions.add_parser("invite", help="a new invitation link for an existing account")
    again.add_argument("--email", required=True)


def run(settings: Settings, args: argparse.Namespace) -> int:
    t = staff_texts(settings.project_root, settings.staff_language)

    async def act() -> str:
        engine = make_engine(settings.effective_database_url)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                if args.action == "create":
                    made = await create_user(
                        session,
                        email=args.email,
                        name=args.name,
                        roles=args.role,
                        language=args.language,
                        invite_hours=settings.staff_invite_hours,
                    )
                    await record(
                        session,
                        actor_id=None,
                        action="user_created",
                        target=f"staff_user:{made.user.id}",
                        detail={"roles": sorted(args.role), "via": "cli"},
                    )
                else:
                    user = await find_by_email(session, email=args.email)
                    if user is None:
                        raise AccountError("user_missing")
                    made = await invite(session, user=user, hours=settings.staff_invite_hours)
                    await record(
                        session,
                        actor_id=None,
                        action="user_invited",
                        target=f"staff_user:{user.id}",
                        detail={"via": "cli"},
                    )
        finally:
            await engine.dispose()
        lines = []
        if args.action == "create":
            lines.append(
                t["cli.created"].format(
                    name=made.user.name, email=made.user.email, roles=made.user.roles
                )
            )
        expires = made.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        lines.append(t["cli.invite_link"].format(expires=expires))
        lines.append(f"{settings.effective_public_url}{made.path()}")
        return "\n".join(lines)

    try:
        print(asyncio.run(act()))
    except AccountError as refused:
        print(t[f"cli.{refused.key}"])
        return 1
    return 0

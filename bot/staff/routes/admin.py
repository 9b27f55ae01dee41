"""Admin pages: users (invite, roles, deactivate) and the audit log with its CSV export.
Every route requires the admin role; every change and every reading of the log is audited."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.staff import accounts
from bot.staff.audit import AuditFilter, as_csv, entries, known_actions, record
from bot.staff.deps import StaffPrincipal, require_role, sessionmaker_of
from bot.staff.pages import render
from bot.staff.roles import Role
from bot.staff.routes.auth import address_of
from bot.staff.state import staff_state

router = APIRouter(prefix="/admin", tags=["staff"])
ADMIN = Depends(require_role(Role.admin))  # every admin route


def _roles(form: object) -> list[str]:
    chosen = form.getlist("roles") if hasattr(form, "getlist") else []
    return [value for value in chosen if value in {role.value for role in Role}]


def _field(form: object, name: str) -> str:
    value = form.get(name) if hasattr(form, "get") else None
    return value.strip() if isinstance(value, str) else ""


async def _users_page(
    request: Request,
    principal: StaffPrincipal,
    *,
    status_code: int = 200,
    **context: object,
) -> HTMLResponse:
    async with sessionmaker_of(request)() as session:
        users = await accounts.all_users(session)
    return render(
        request, "admin_users.html", principal=principal, status_code=status_code,
        users=users, invitation=context.pop("invitation", None), error=context.pop("error", None),
        **context,
    )  # fmt: skip


@router.get("/users", response_class=HTMLResponse, include_in_schema=False)
async def users(request: Request, principal: StaffPrincipal = ADMIN) -> Response:
    return await _users_page(request, principal)


@router.post("/users", response_class=HTMLResponse, include_in_schema=False)
async def invite_user(
    request: Request,
    principal: StaffPrincipal = ADMIN,
) -> Response:
    form = await request.form()
    try:
        async with sessionmaker_of(request)() as session, session.begin():
            made = await accounts.create_user(
                session,
                email=_field(form, "email"),
                name=_field(form, "name"),
                roles=_roles(form),
                language=_field(form, "language") or "nl",
                invite_hours=staff_state(request).settings.staff_invite_hours,
            )
            await record(
                session, actor_id=principal.id, action="user_created",
                target=f"staff_user:{made.user.id}", address=address_of(request),
                detail={"roles": made.user.roles},
            )  # fmt: skip
    except accounts.AccountError as refused:
        return await _users_page(request, principal, status_code=422, error=refused.key)
    link = f"{staff_state(request).settings.effective_public_url}{made.path()}"
    return await _users_page(request, principal, invitation={"name": made.user.name, "link": link})


@router.post("/users/{user_id}/invite", response_class=HTMLResponse, include_in_schema=False)
async def reinvite(
    request: Request,
    user_id: int,
    principal: StaffPrincipal = ADMIN,
) -> Response:
    try:
        async with sessionmaker_of(request)() as session, session.begin():
            user = await accounts.user_by_id(session, user_id=user_id)
            made = await accounts.invite(
                session, user=user, hours=staff_state(request).settings.staff_invite_hours
            )
            await record(
                session, actor_id=principal.id, action="user_invited",
                target=f"staff_user:{user_id}", address=address_of(request),
            )  # fmt: skip
    except accounts.AccountError as refused:
        return await _users_page(request, principal, status_code=422, error=refused.key)
    link = f"{staff_state(request).settings.effective_public_url}{made.path()}"
    return await _users_page(request, principal, invitation={"name": user.name, "link": link})


@router.post("/users/{user_id}/roles", include_in_schema=False)
async def change_roles(
    request: Request,
    user_id: int,
    principal: StaffPrincipal = ADMIN,
) -> Response:
    form = await request.form()
    try:
        async with sessionmaker_of(request)() as session, session.begin():
            before, after = await accounts.set_roles(
                session, user_id=user_id, roles=_roles(form), by=principal.id
            )
            await record(
                session, actor_id=principal.id, action="roles_changed",
                target=f"staff_user:{user_id}", address=address_of(request),
                detail={"before": before, "after": after},
            )  # fmt: skip
    except accounts.AccountError as refused:
        return await _users_page(request, principal, status_code=422, error=refused.key)
    return RedirectResponse("/staff/admin/users", status_code=303)


@router.post("/users/{user_id}/active", include_in_schema=False)
async def change_active(
    request: Request,
    user_id: int,
    principal: StaffPrincipal = ADMIN,
) -> Response:
    active = _field(await request.form(), "active") == "1"
    try:
        async with sessionmaker_of(request)() as session, session.begin():
            await accounts.set_active(session, user_id=user_id, active=active, by=principal.id)
            await record(
                session, actor_id=principal.id,
                action="user_activated" if active else "user_deactivated",
                target=f"staff_user:{user_id}", address=address_of(request),
            )  # fmt: skip
    except accounts.AccountError as refused:
        return await _users_page(request, principal, status_code=422, error=refused.key)
    return RedirectResponse("/staff/admin/users", status_code=303)


def _filter(request: Request) -> AuditFilter:
    query = request.query_params

    def day(name: str) -> dt.date | None:
        try:
            return dt.date.fromisoformat(query.get(name, ""))
        except ValueError:
            return None

    actor = query.get("actor", "")
    return AuditFilter(
        action=query.get("action") or None,
        actor_id=int(actor) if actor.isdigit() else None,
        since=day("since"),
        until=day("until"),
    )


def _described(where: AuditFilter) -> dict[str, str]:
    return {
        key: str(value)
        for key, value in (
            ("action", where.action),
            ("actor", where.actor_id),
            ("since", where.since),
            ("until", where.until),
        )
        if value is not None
    }


@router.get("/audit", response_class=HTMLResponse, include_in_schema=False)
async def audit_page(request: Request, principal: StaffPrincipal = ADMIN) -> Response:
    where = _filter(request)
    async with sessionmaker_of(request)() as session, session.begin():
        await record(
            session, actor_id=principal.id, action="audit_viewed",
            address=address_of(request), detail=_described(where) or None,
        )  # fmt: skip
        rows = await entries(session, where=where)
        actions = await known_actions(session)
        users = await accounts.all_users(session)
    return render(
        request, "admin_audit.html", principal=principal, rows=rows, actions=actions,
        users=users, where=where, query=request.url.query,
    )  # fmt: skip


@router.get("/audit.csv", include_in_schema=False)
async def audit_export(request: Request, principal: StaffPrincipal = ADMIN) -> Response:
    where = _filter(request)
    async with sessionmaker_of(request)() as session, session.begin():
        rows = await entries(session, where=where, limit=None)
        await record(
            session, actor_id=principal.id, action="audit_exported",
            address=address_of(request), detail={**_described(where), "rows": len(rows)},
        )  # fmt: skip
    return Response(
        as_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="wegwijs-audit.csv"'},
    )

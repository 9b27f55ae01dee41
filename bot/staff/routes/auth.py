"""Signing in and out, and accepting an invitation.

Before a session exists the forms carry a token that must match a cookie set with the form
(double submit), so another site cannot sign a browser in to an account of its choosing."""

from __future__ import annotations

import secrets
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.staff.accounts import AccountError, accept_invite, open_invite
from bot.staff.audit import record
from bot.staff.deps import StaffForbidden, StaffPrincipal, current_staff, sessionmaker_of
from bot.staff.pages import render
from bot.staff.sessions import (
    Opened,
    SignInRefused,
    current,
    open_session,
    sign_in,
    sign_out,
    tokens_equal,
)
from bot.staff.state import COOKIE, PRE_COOKIE, staff_state

router = APIRouter(tags=["staff"])
HOME = "/staff/"


def sign_in_url(next_path: str | None = None) -> str:
    if next_path and safe_next(next_path) != HOME:
        return f"/staff/sign-in?next={quote(next_path, safe='/')}"
    return "/staff/sign-in"


def safe_next(value: str | None) -> str:
    """Only a path inside the workspace (never another site, never the sign-in page)."""
    if not value or not value.startswith("/staff/") or value.startswith("//"):
        return HOME
    if value.startswith(("/staff/sign-in", "/staff/sign-out", "/staff/invite")):
        return HOME
    return value


def address_of(request: Request) -> str | None:
    return request.client.host if request.client else None


def form_token(request: Request) -> str:
    return request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)


def with_form_cookie(request: Request, response: Response, token: str) -> Response:
    response.set_cookie(
        PRE_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=staff_state(request).secure_cookies,
        path="/staff",
    )
    return response


async def check_form_token(request: Request) -> None:
    form = await request.form()
    sent = form.get("csrf_token")
    expected = request.cookies.get(PRE_COOKIE)
    if not isinstance(sent, str) or not expected or not tokens_equal(sent, expected):
        raise StaffForbidden("csrf")


def signed_in(request: Request, opened: Opened, target: str) -> Response:
    state = staff_state(request)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        opened.raw_id,
        max_age=int(state.rules.lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=state.secure_cookies,
        path="/staff",
    )
    response.delete_cookie(PRE_COOKIE, path="/staff")
    return response


def _text(form: object, name: str) -> str:
    value = form.get(name) if hasattr(form, "get") else None
    return value if isinstance(value, str) else ""


@router.get("/sign-in", response_class=HTMLResponse, include_in_schema=False)
async def sign_in_page(request: Request, next: str | None = None) -> Response:
    raw_id = request.cookies.get(COOKIE)
    if raw_id:
        async with sessionmaker_of(request)() as session, session.begin():
            still = await current(session, raw_id=raw_id, rules=staff_state(request).rules)
        if still is not None:
            return RedirectResponse(safe_next(next), status_code=303)
    token = form_token(request)
    page = render(
        request, "sign_in.html", principal=None, csrf_token=token, next=safe_next(next),
        error=None, oidc=staff_state(request).oidc.configured,
    )  # fmt: skip
    return with_form_cookie(request, page, token)


@router.post("/sign-in", response_class=HTMLResponse, include_in_schema=False)
async def sign_in_submit(request: Request) -> Response:
    await check_form_token(request)
    form = await request.form()
    email, target = _text(form, "email"), safe_next(_text(form, "next"))
    state = staff_state(request)
    async with sessionmaker_of(request)() as session:
        try:
            opened = await sign_in(
                session,
                email=email,
                password=_text(form, "password"),
                address=address_of(request),
                rules=state.rules,
                previous_raw_id=request.cookies.get(COOKIE),
            )
        except SignInRefused as refused:
            await session.commit()  # the failure counts towards throttling
            token = form_token(request)
            page = render(
                request,
                "sign_in.html",
                principal=None,
                status_code=429 if refused.wait_minutes else 401,
                csrf_token=token,
                next=target,
                email=email,
                error="throttled" if refused.wait_minutes else "wrong",
                wait_minutes=refused.wait_minutes,
                oidc=state.oidc.configured,
            )
            return with_form_cookie(request, page, token)
        await session.commit()
    return signed_in(request, opened, target)


@router.post("/sign-out", include_in_schema=False)
async def sign_out_submit(
    request: Request,
    principal: StaffPrincipal = Depends(current_staff),  # noqa: B008
) -> Response:
    raw_id = request.cookies.get(COOKIE, "")
    async with sessionmaker_of(request)() as session, session.begin():
        await sign_out(session, raw_id=raw_id)
        await record(session, actor_id=principal.id, action="sign_out", address=address_of(request))
    response = RedirectResponse("/staff/sign-in?signed_out=1", status_code=303)
    response.delete_cookie(COOKIE, path="/staff")
    return response


@router.get("/invite/{token}", response_class=HTMLResponse, include_in_schema=False)
async def invite_page(request: Request, token: str) -> Response:
    async with sessionmaker_of(request)() as session:
        try:
            _found, user = await open_invite(session, token=token)
        except AccountError as refused:
            return render(
                request, "invite_refused.html", principal=None, status_code=410, error=refused.key
            )
    form = form_token(request)
    page = render(
        request, "invite.html", principal=None, csrf_token=form, user_name=user.name, error=None
    )
    return with_form_cookie(request, page, form)


@router.post("/invite/{token}", response_class=HTMLResponse, include_in_schema=False)
async def invite_submit(request: Request, token: str) -> Response:
    await check_form_token(request)
    form = await request.form()
    state = staff_state(request)
    async with sessionmaker_of(request)() as session:
        try:
            user = await accept_invite(
                session,
                token=token,
                password=_text(form, "password"),
                repeated=_text(form, "repeated"),
            )
        except AccountError as refused:
            if refused.key.startswith("invite_"):
                return render(
                    request,
                    "invite_refused.html",
                    principal=None,
                    status_code=410,
                    error=refused.key,
                )
            _found, invited = await open_invite(session, token=token)
            csrf = form_token(request)
            page = render(
                request,
                "invite.html",
                principal=None,
                status_code=422,
                csrf_token=csrf,
                user_name=invited.name,
                error=refused.key,
            )
            return with_form_cookie(request, page, csrf)
        await record(
            session, actor_id=user.id, action="invite_accepted", address=address_of(request)
        )
        opened = await open_session(
            session,
            user=user,
            address=address_of(request),
            rules=state.rules,
            previous_raw_id=request.cookies.get(COOKIE),
        )
        await record(
            session,
            actor_id=user.id,
            action="sign_in",
            address=address_of(request),
            detail={"via": "invite"},
        )
        await session.commit()
    return signed_in(request, opened, HOME)

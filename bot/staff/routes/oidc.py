"""Sign-in through the identity provider: /staff/oidc/start and /staff/oidc/callback."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from bot.staff.accounts import find_by_email
from bot.staff.audit import record
from bot.staff.deps import sessionmaker_of
from bot.staff.oidc import OidcRefused
from bot.staff.pages import render
from bot.staff.routes.auth import address_of, form_token, safe_next, signed_in, with_form_cookie
from bot.staff.sessions import open_session
from bot.staff.state import COOKIE, OIDC_COOKIE, staff_state

router = APIRouter(prefix="/oidc", tags=["staff"])


@router.get("/start", include_in_schema=False)
async def start(request: Request, next: str | None = None) -> Response:
    state = staff_state(request)
    if not state.oidc.configured:
        raise HTTPException(404)
    flow = state.oidc.new_flow(safe_next(next))
    response = RedirectResponse(await state.oidc.authorize_url(flow), status_code=303)
    response.set_cookie(
        OIDC_COOKIE,
        state.oidc.seal(flow),
        max_age=600,
        httponly=True,
        samesite="lax",  # sent on the provider's redirect back (a top-level GET)
        secure=state.secure_cookies,
        path="/staff/oidc",
    )
    return response


@router.get("/callback", include_in_schema=False)
async def callback(request: Request, code: str = "", state: str = "") -> Response:
    staff = staff_state(request)
    if not staff.oidc.configured:
        raise HTTPException(404)
    address = address_of(request)
    async with sessionmaker_of(request)() as session:
        try:
            flow = staff.oidc.unseal(request.cookies.get(OIDC_COOKIE))
            who = await staff.oidc.finish(flow, state=state, code=code)
            user = await find_by_email(session, email=who.email)
            if user is None or not user.active:
                raise OidcRefused("oidc_no_account")
        except OidcRefused as refused:
            await record(
                session, actor_id=None, action="sign_in_failed", address=address,
                detail={"via": "oidc", "reason": refused.reason},
            )  # fmt: skip
            await session.commit()
            token = form_token(request)
            page = render(
                request, "sign_in.html", principal=None, status_code=401, csrf_token=token,
                next="/staff/", error=refused.reason, oidc=True,
            )  # fmt: skip
            page.delete_cookie(OIDC_COOKIE, path="/staff/oidc")
            return with_form_cookie(request, page, token)
        opened = await open_session(
            session,
            user=user,
            address=address,
            rules=staff.rules,
            previous_raw_id=request.cookies.get(COOKIE),
        )
        await record(
            session, actor_id=user.id, action="sign_in", address=address, detail={"via": "oidc"}
        )
        await session.commit()
    response = signed_in(request, opened, flow.next)
    response.delete_cookie(OIDC_COOKIE, path="/staff/oidc")
    return response

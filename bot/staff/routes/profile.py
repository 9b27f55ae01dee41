"""The profile page: an employee chooses the language of the workspace (nl or en)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.staff.accounts import AccountError, set_language
from bot.staff.audit import record
from bot.staff.deps import StaffPrincipal, current_staff, sessionmaker_of
from bot.staff.pages import render
from bot.staff.routes.auth import address_of

router = APIRouter(tags=["staff"])


@router.get("/profile", response_class=HTMLResponse, include_in_schema=False)
async def profile(request: Request, principal: StaffPrincipal = Depends(current_staff)) -> Response:  # noqa: B008
    return render(request, "profile.html", principal=principal, saved=False)


@router.post("/profile", include_in_schema=False)
async def save_profile(
    request: Request,
    principal: StaffPrincipal = Depends(current_staff),  # noqa: B008
) -> Response:
    language = (await request.form()).get("language")
    try:
        async with sessionmaker_of(request)() as session, session.begin():
            await set_language(session, user_id=principal.id, language=str(language))
            await record(
                session, actor_id=principal.id, action="language_changed",
                address=address_of(request), detail={"language": str(language)},
            )  # fmt: skip
    except AccountError:
        return render(request, "profile.html", principal=principal, saved=False, status_code=422)
    return RedirectResponse("/staff/profile?saved=1", status_code=303)

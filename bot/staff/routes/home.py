"""The workspace's home page: who is signed in, and the pages their roles open."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from bot.staff.deps import StaffPrincipal, current_staff
from bot.staff.pages import render
from bot.staff.state import staff_state

router = APIRouter(tags=["staff"])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def home(
    request: Request,
    principal: StaffPrincipal = Depends(current_staff),  # noqa: B008
) -> HTMLResponse:
    idle = staff_state(request).settings.staff_session_idle_minutes
    return render(request, "home.html", principal=principal, idle_minutes=round(idle))

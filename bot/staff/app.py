"""Mounts the staff workspace on the gateway under /staff (called from bot/app.py)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from bot.config import Settings
from bot.faq.search import EntrySearch  # kbsearch
from bot.semantics.embedder import shared_embedder  # kbsearch
from bot.staff.deps import SignInRequired, StaffForbidden
from bot.staff.oidc import OidcClient
from bot.staff.pages import make_environment, render
from bot.staff.routes import admin, auth, entries, home, oidc, profile  # kbsearch: entries
from bot.staff.routes.answer import router as answer_router  # ticket
from bot.staff.routes.drafts import router as drafts_router  # insights
from bot.staff.routes.insights import router as insights_router  # insights
from bot.staff.routes.missed import router as missed_router  # insights
from bot.staff.routes.queue import router as queue_router  # queue
from bot.staff.routes.ticket import router as ticket_router  # ticket
from bot.staff.routes.trends import router as trends_router  # insights
from bot.staff.state import StaffState, session_rules

STATIC = Path(__file__).parent / "static"
PREFIX = "/staff"
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Invitation links carry their token in the path: it never leaves the workspace. (Not
    # "no-referrer": with it a browser's form posts say "Origin: null", which the gateway's
    # origin check refuses.)
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'none'; object-src 'none'"
    ),
}


def wants_page(request: Request) -> bool:
    """A browser navigating (gets a page or a redirect), not a script (gets JSON)."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and request.headers.get("x-requested-with") is None


def include_staff(app: FastAPI, settings: Settings) -> None:
    app.state.staff = StaffState(
        settings=settings,
        rules=session_rules(settings),
        templates=make_environment(),
        root=settings.project_root,
        oidc=OidcClient(settings),
    )

    @app.middleware("http")
    async def staff_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        if request.url.path.startswith(PREFIX):
            for name, value in HEADERS.items():
                response.headers.setdefault(name, value)
        return response

    async def sign_in_required(request: Request, _error: Exception) -> Response:
        if wants_page(request) and request.method == "GET":
            return RedirectResponse(auth.sign_in_url(request.url.path), status_code=303)
        return JSONResponse({"error": "sign_in_required"}, status_code=401)

    async def forbidden(request: Request, error: Exception) -> Response:
        reason = error.reason if isinstance(error, StaffForbidden) else "forbidden"
        if wants_page(request):
            principal = getattr(request.state, "staff", None)
            return render(
                request, "forbidden.html", principal=principal, status_code=403, reason=reason
            )
        return JSONResponse({"error": "forbidden", "reason": reason}, status_code=403)

    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(StaffForbidden, forbidden)
    for area in (auth, oidc, home, profile, admin):
        app.include_router(area.router, prefix=PREFIX)
    # kbsearch: one entry search per process; its index is built (or read from var/cache) on
    # the first search
    app.state.entry_search = EntrySearch(
        settings.project_root,
        shared_embedder(),
        cache_dir=settings.var_dir / "cache",
        municipality=settings.municipality,
    )
    app.include_router(entries.router, prefix=PREFIX)
    # end kbsearch
    for router in (ticket_router, answer_router):  # ticket
        app.include_router(router, prefix=PREFIX)  # ticket
    app.include_router(queue_router, prefix=PREFIX)  # queue
    for router in (missed_router, trends_router, drafts_router, insights_router):  # insights
        app.include_router(router, prefix=PREFIX)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="staff-static")

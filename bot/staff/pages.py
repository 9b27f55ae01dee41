"""Server-rendered pages: Jinja2 templates in bot/staff/templates/, UI text as `t`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.language import normalize_hint
from bot.staff.deps import StaffPrincipal
from bot.staff.roles import Role
from bot.staff.state import staff_state
from bot.staff.texts import staff_texts
from bot.texts import load_texts

TEMPLATES = Path(__file__).parent / "templates"


def make_environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page_language(request: Request, principal: StaffPrincipal | None) -> str:
    """The principal's language; before sign-in, the browser's (nl or en), else STAFF_LANGUAGE."""
    if principal is not None:
        return principal.language
    hint = normalize_hint(request.query_params.get("lang")) or normalize_hint(
        request.headers.get("accept-language")
    )
    return hint if hint in ("nl", "en") else staff_state(request).settings.staff_language


@lru_cache(maxsize=4)
def topic_titles(root: Path, municipality: str) -> dict[str, dict[str, str]]:
    """Each topic's name in every language, as the newcomers' topic buttons say it
    (texts/buttons.yml topic_<topic>)."""
    buttons = load_texts(root, municipality).buttons
    return {
        name.removeprefix("topic_"): dict(spec["title"])
        for name, spec in buttons.items()
        if name.startswith("topic_")
    }


def render(
    request: Request,
    template: str,
    *,
    principal: StaffPrincipal | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    state = staff_state(request)
    language = page_language(request, principal)
    titles = topic_titles(state.root, state.settings.municipality)

    def topic_name(topic: str | None) -> str:
        return titles.get(topic or "", {}).get(language, topic or "")

    html = state.templates.get_template(template).render(
        request=request,
        principal=principal,
        language=language,
        t=staff_texts(state.root, language),
        Role=Role,
        topic_name=topic_name,
        csrf_token=context.pop("csrf_token", principal.csrf_token if principal else ""),
        **context,
    )
    return HTMLResponse(html, status_code=status_code)

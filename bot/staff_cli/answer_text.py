"""The text of a staff answer: --text, stdin, or the staff member's editor."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.db.models import Ticket

from bot.staff_cli.texts import Refused, StaffTexts
from bot.staff_cli.views import (
    printable,
)


def answer_text(args: argparse.Namespace, ticket: Ticket, texts: StaffTexts) -> str:
    """--text, else stdin when it is not a terminal, else the staff member's editor."""
    from bot.escalation.tickets import display_code

    code = display_code(ticket.code)
    if args.text is not None and args.text != "-":
        text = args.text
    elif args.text == "-" or not sys.stdin.isatty():
        text = sys.stdin.read()
    else:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not editor:
            raise Refused(texts("error_no_text_source", code=code))
        text = _from_editor(editor, ticket, texts)
    cleaned = printable(text, keep="\n\t").strip()
    if not cleaned:
        raise Refused(texts("error_empty_answer"))
    return cleaned


def _from_editor(editor: str, ticket: Ticket, texts: StaffTexts) -> str:
    from bot.escalation.tickets import display_code

    question = "\n".join("#   " + line for line in printable(ticket.question).splitlines())
    template = texts(
        "editor_template",
        code=display_code(ticket.code),
        language=texts.section("languages", ticket.language),
        question=question,
    )
    with tempfile.TemporaryDirectory(prefix="wegwijs-answer-") as folder:
        path = Path(folder) / f"answer-{ticket.code}.txt"
        path.write_text(template + "\n\n", encoding="utf-8")
        result = subprocess.run([*shlex.split(editor), str(path)], check=False)
        if result.returncode != 0:
            raise Refused(texts("error_editor", editor=editor))
        written = path.read_text(encoding="utf-8")
    return "\n".join(line for line in written.splitlines() if not line.startswith("#"))

"""A terminal chat through the gateway (so the language decision is the real one)."""

from __future__ import annotations

import sys
import textwrap

import httpx


def _show(messages: list[dict[str, object]]) -> list[dict[str, str]]:
    buttons: list[dict[str, str]] = []
    for message in messages:
        who = {"bot": "Wegwijs", "staff": "Staff", "system": "Note"}.get(
            str(message["sender"]), "?"
        )
        faq = message.get("faq")
        tag = f"  [{faq['id']}]" if isinstance(faq, dict) else ""
        print(f"\n{who} ({message['language']}){tag}:")
        for line in str(message["text"]).splitlines():
            print(textwrap.fill(line, width=100, initial_indent="  ", subsequent_indent="  ") or "")
        for button in message.get("buttons") or []:  # type: ignore[attr-defined]
            buttons.append(button)
            print(f"  [{len(buttons)}] {button['title']}")
    return buttons


def run_chat(base_url: str, *, language: str | None) -> int:
    print(f"Chatting with {base_url}. Type a message, a button number, or Ctrl-D to stop.")
    with httpx.Client(base_url=base_url, timeout=60.0) as client:
        try:
            started = client.post("/api/conversations", json={"language": language})
        except httpx.HTTPError as error:
            print(
                f"Cannot reach the gateway at {base_url} ({error}). Is `make run` running?",
                file=sys.stderr,
            )
            return 1
        data = started.json()
        if started.status_code >= 400:
            print(data["error"]["message"], file=sys.stderr)
            return 1
        token = data["conversation"]
        buttons = _show(data["messages"])
        while True:
            try:
                text = input("\nYou: ").strip()
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
            if not text:
                continue
            if text.isdigit() and 1 <= int(text) <= len(buttons):
                body: dict[str, str | None] = {"button": buttons[int(text) - 1]["id"]}
            else:
                body = {"text": text, "language": language}
            response = client.post(f"/api/conversations/{token}/messages", json=body)
            data = response.json()
            if response.status_code >= 400:
                print(f"\n(!) {data['error']['message']}")
                continue
            buttons = _show(data["messages"])

"""A fake LibreTranslate server on 127.0.0.1: the one edge the tests cannot reach (no engine
and no models can be installed here).

It speaks LibreTranslate's HTTP API as its documentation describes it
(https://docs.libretranslate.com/guides/api_usage): POST /translate with q (a string or a
list), source ("auto" allowed), target, format and api_key, answering translatedText (a
string or a list) and, for "auto", detectedLanguage; GET /languages; errors as
{"error": "..."} with 400 (a language it lacks), 403 (a wrong API key) and 500. Its
"translation" is a marker and a small word list, so tests can tell what went through it; like
a real engine it keeps bracketed numbers. It records every request, so tests can check what
left the municipality. Failures on demand: a server error, a hang longer than the client's
timeout, and an engine that loses a placeholder.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot.stack import free_port

LANGUAGES = {"uk": "Ukrainian", "nl": "Dutch", "en": "English"}
WORDS = {
    ("nl", "uk"): {"Bel": "Зателефонуйте", "bel": "зателефонуйте", "of": "або", "Kom": "Приходьте"},
    ("uk", "nl"): {"Де": "Waar", "Мій": "Mijn", "код": "code"},
}


@dataclass
class FakeState:
    mode: str = "ok"  # ok | error | hang | lose_placeholder
    api_key: str | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    hang_seconds: float = 3.0


def fake_translate(text: str, *, source: str, target: str) -> str:
    words = WORDS.get((source, target), {})
    translated = " ".join(words.get(word, word) for word in text.split(" "))
    return f"<{target}> {translated}"


def _detect(text: str) -> str:
    return "uk" if re.search(r"[а-яіїєґ]", text, re.IGNORECASE) else "nl"


class _Handler(BaseHTTPRequestHandler):
    state: FakeState

    def log_message(self, format: str, *args: object) -> None:
        return

    def _reply(self, status: int, body: object) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a client gave up
            self.wfile.write(raw)

    def do_GET(self) -> None:
        if self.path != "/languages":
            self._reply(404, {"error": "Not Found"})
            return
        body = [
            {"code": code, "name": name, "targets": sorted(LANGUAGES)}
            for code, name in LANGUAGES.items()
        ]
        self._reply(200, body)

    def do_POST(self) -> None:
        if self.path != "/translate":
            self._reply(404, {"error": "Not Found"})
            return
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length) or b"{}")
        state = self.state
        with state.lock:
            state.requests.append(request)
            mode = state.mode
        if mode == "hang":
            time.sleep(state.hang_seconds)
        if mode == "error":
            self._reply(500, {"error": "Cannot translate text: engine failure"})
            return
        if state.api_key is not None and request.get("api_key") != state.api_key:
            self._reply(403, {"error": "Invalid API key"})
            return
        q, source, target = request.get("q"), request.get("source"), request.get("target")
        if not q:
            self._reply(400, {"error": "Invalid request: missing q parameter"})
            return
        for code in (source, target):
            if code != "auto" and code not in LANGUAGES:
                self._reply(400, {"error": f"{code} is not supported"})
                return
        items = q if isinstance(q, list) else [q]
        detected = [_detect(item) if source == "auto" else source for item in items]
        out = [
            fake_translate(item, source=lang, target=target)
            for item, lang in zip(items, detected, strict=True)
        ]
        if mode == "lose_placeholder":
            out = [re.sub(r"\[\d+\]", "", text, count=1) for text in out]
        body: dict[str, Any] = {"translatedText": out if isinstance(q, list) else out[0]}
        if source == "auto":
            found = [{"confidence": 90.0, "language": lang} for lang in detected]
            body["detectedLanguage"] = found if isinstance(q, list) else found[0]
        self._reply(200, body)


@dataclass
class FakeLibreTranslate:
    url: str
    state: FakeState


@contextmanager
def running_fake(state: FakeState | None = None) -> Iterator[FakeLibreTranslate]:
    state = state or FakeState()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FakeLibreTranslate(url=f"http://127.0.0.1:{server.server_port}", state=state)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

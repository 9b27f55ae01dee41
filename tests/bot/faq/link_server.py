"""A request handler for the link-check tests' local servers: each test says which status a
path answers with; the sending, HEAD and GET, and the silence are shared."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler


class StatusHandler(BaseHTTPRequestHandler):
    redirect_to = ""  # where a 301 sends the client

    def status(self) -> int:
        """The status this request answers with (override)."""
        return 200

    def _answer(self, *, body: bool) -> None:
        status = self.status()
        if status == 301:
            self.send_response(301)
            self.send_header("Location", self.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        payload = b"ok" if status == 200 else b"no"
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if body:
            self.wfile.write(payload)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def log_message(self, format: str, *args: object) -> None:
        return

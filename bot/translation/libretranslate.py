"""A self-hosted LibreTranslate server through its HTTP API (POST /translate, GET /languages):
the engine a municipality runs on its own machines, so texts stay inside its network.

Each line is sent as one item of `q` (a list), so the answer keeps the text's lines; lines
with nothing to translate (a link, a phone number) are not sent. What the engine must not
change is protected around the call (bot/translation/protect.py).
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Sequence

import httpx

from bot.translation.base import AUTO, Translation, TranslationFailed, unchanged
from bot.translation.protect import only_placeholders, protect, restore

log = logging.getLogger("wegwijs.translation")

ENGINE = "libretranslate"
MAX_CHARS = 5000  # a staff answer or a question is far shorter; longer is refused


class LibreTranslate:
    engine = ENGINE
    configured = True

    def __init__(
        self,
        *,
        url: str,
        api_key: str | None = None,
        timeout_seconds: float = 15.0,
        terms: Sequence[str] = (),
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._url = url.rstrip("/")
        self._api_key = api_key
        self._timeout = timeout_seconds
        self._terms = tuple(terms)
        self._transport = transport
        self._tls: ssl.SSLContext | None = None  # made once: it costs tens of milliseconds

    async def translate(self, text: str, *, source: str, target: str) -> Translation:
        if source == target:
            return unchanged(text, language=target, engine=self.engine)
        if len(text) > MAX_CHARS:
            raise TranslationFailed(f"the text is longer than {MAX_CHARS} characters")
        protected = protect(text, terms=self._terms)
        lines = protected.text.split("\n")
        wanted = [i for i, line in enumerate(lines) if not only_placeholders(line)]
        if not wanted:
            return Translation(
                text=text, source=source, target=target, engine=self.engine, machine=False
            )
        items = [lines[i].strip() for i in wanted]
        translated, detected = await self._post(items, source=source, target=target)
        for index, line in zip(wanted, translated, strict=True):
            indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
            lines[index] = indent + line.strip()
        return Translation(
            text=restore("\n".join(lines), protected),
            source=detected or source,
            target=target,
            engine=self.engine,
            machine=True,
        )

    async def languages(self) -> dict[str, frozenset[str]]:
        """What the server can do: each source language with its targets."""
        body = await self._call("GET", "/languages", payload=None)
        if not isinstance(body, list):
            raise TranslationFailed("LibreTranslate /languages gave no list")
        found: dict[str, frozenset[str]] = {}
        for item in body:
            if isinstance(item, dict) and isinstance(item.get("code"), str):
                targets = item.get("targets")
                found[item["code"]] = frozenset(
                    t for t in (targets if isinstance(targets, list) else []) if isinstance(t, str)
                )
        return found

    async def _post(
        self, items: list[str], *, source: str, target: str
    ) -> tuple[list[str], str | None]:
        payload: dict[str, object] = {
            "q": items,
            "source": source,
            "target": target,
            "format": "text",
        }
        if self._api_key:
            payload["api_key"] = self._api_key
        body = await self._call("POST", "/translate", payload=payload)
        if not isinstance(body, dict):
            raise TranslationFailed("LibreTranslate gave an answer that is not a JSON object")
        texts = body.get("translatedText")
        if isinstance(texts, str) and len(items) == 1:
            texts = [texts]
        if (
            not isinstance(texts, list)
            or len(texts) != len(items)
            or not all(isinstance(t, str) for t in texts)
        ):
            raise TranslationFailed("LibreTranslate gave no translation for every line")
        return texts, _detected(body.get("detectedLanguage")) if source == AUTO else None

    async def _call(self, method: str, path: str, *, payload: dict[str, object] | None) -> object:
        if self._tls is None:
            self._tls = ssl.create_default_context()
        try:
            async with httpx.AsyncClient(
                timeout=self._timeout, transport=self._transport, verify=self._tls
            ) as client:
                response = await client.request(method, self._url + path, json=payload)
        except httpx.TimeoutException:
            raise TranslationFailed(
                f"LibreTranslate did not answer within {self._timeout:g} s"
            ) from None
        except httpx.HTTPError as error:
            raise TranslationFailed(
                f"LibreTranslate cannot be reached ({type(error).__name__})"
            ) from None
        if response.status_code != 200:
            raise TranslationFailed(_refusal(response))
        try:
            return response.json()
        except ValueError:
            raise TranslationFailed("LibreTranslate gave an answer that is not JSON") from None


def _detected(value: object) -> str | None:
    """The language LibreTranslate detected (one object, or one per item: the first)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict) and isinstance(value.get("language"), str):
        return str(value["language"])
    return None


def _refusal(response: httpx.Response) -> str:
    """The reason, from LibreTranslate's {"error": "..."} (its own words name no user text:
    they say which language is not supported, that the key is wrong, or to slow down)."""
    reason = ""
    try:
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            reason = body["error"][:200]
    except ValueError:
        pass
    kind = {
        400: "refused the request",
        403: "refused the API key",
        429: "asks to slow down",
    }.get(response.status_code, "failed")
    detail = f": {reason}" if reason else ""
    return f"LibreTranslate {kind} (HTTP {response.status_code}){detail}"

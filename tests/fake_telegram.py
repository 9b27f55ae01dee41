"""A fake Telegram Bot API on 127.0.0.1, for the one edge the tests cannot reach.

It speaks the Bot API's HTTP and JSON (https://core.telegram.org/bots/api) for the methods the
bot uses: getMe, deleteWebhook, setWebhook, getUpdates (long polling with offset semantics),
sendMessage (private chats and groups, with reply_parameters), editMessageReplyMarkup,
editMessageText, answerCallbackQuery and setMyCommands, with Telegram's error shapes (401 for a
wrong token, 400 for what Telegram refuses, 403 when a user blocked the bot, 409 for getUpdates
while a webhook is set). Tests fill the update queue (private messages, group messages that
reply to the bot, button presses in either) and read what the bot sent. Failures are injected
on demand: flood control (429 with retry_after), server errors, a blocked user, and calls that
hang until the test releases them (to kill the gateway while a message is on its way).
It runs with uvicorn in a thread; its state is shared with the test under one lock.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.stack import free_port

TOKEN = "7000000001:AAFakeTokenForTestsOnly_0123456789abc"
BOT_USER = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "Wegwijs",
    "username": "wegwijs_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
MESSAGE_LIMIT = 4096  # UTF-16 code units, as Telegram counts them
COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?")
# Parameters that PTB (like Telegram's other clients) sends as plain strings; the rest is JSON.
STRING_FIELDS = frozenset(
    {"text", "url", "secret_token", "callback_query_id", "language_code", "parse_mode"}
)


@dataclass(frozen=True)
class ApiCall:
    method: str
    params: dict[str, Any]
    status: int


@dataclass
class Failure:
    """The next `times` calls of `method` (to `chat_id`, or to any chat) fail like this."""

    method: str
    chat_id: int | None
    times: int
    status: int
    description: str
    retry_after: int | None = None
    after: int = 0  # matching calls that still succeed first


class Hold:
    """Calls of a method to a chat that hang (as over a dead network) until released."""

    def __init__(self, method: str, chat_id: int | None) -> None:
        self.method = method
        self.chat_id = chat_id
        self.arrived = 0  # calls that reached the server and are (or were) held
        self.released = False
        self.deliver = False

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        return method == self.method and self.chat_id in (None, params.get("chat_id"))


class ApiError(Exception):
    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


class FakeTelegram:
    """Telegram's Bot API for one bot (TOKEN), on a free port of 127.0.0.1."""

    def __init__(self) -> None:
        self.port = free_port()
        self._lock = threading.Condition()
        self._update_ids = itertools.count(100_001)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._open_queries: set[str] = set()
        self._queue: list[dict[str, Any]] = []
        self._users: dict[int, dict[str, Any]] = {}
        self._groups: dict[int, dict[str, Any]] = {}
        self._blocked: set[int] = set()
        self._failures: list[Failure] = []
        self._holds: list[Hold] = []
        self._closing = False
        self.calls: list[ApiCall] = []
        self.sent: list[dict[str, Any]] = []
        self.edits: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []  # group messages made for updates
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.answered: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # --- running ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What TELEGRAM_API_BASE_URL is set to (the token is appended, as with Telegram)."""
        return f"http://127.0.0.1:{self.port}/bot"

    def start(self) -> None:
        app = Starlette(
            routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])]
        )
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off", ws="none"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="fake-telegram", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake Telegram server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        with self._lock:
            self._closing = True
            for hold in self._holds:
                hold.released = True
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=15)

    # --- what tests do ----------------------------------------------------------------------

    def user(
        self, user_id: int, *, language_code: str | None = "en", first_name: str = "Test"
    ) -> dict[str, Any]:
        """A Telegram user (and their private chat, whose id is the user's)."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code is not None:
            user["language_code"] = language_code
        with self._lock:
            self._users[user_id] = user
        return user

    def group(self, chat_id: int, *, title: str = "Staff") -> dict[str, Any]:
        """A supergroup the bot is a member of (a staff group, or any other)."""
        chat = {"id": chat_id, "type": "supergroup", "title": title}
        with self._lock:
            self._groups[chat_id] = chat
        return chat

    def group_message_update(
        self,
        chat_id: int,
        user_id: int,
        text: str | None,
        *,
        reply_to: dict[str, Any] | None = None,
        first_name: str = "Anna",
        last_name: str | None = "de Vries",
        username: str | None = None,
        content: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An Update with a message in a group, replying to `reply_to` (a message the bot sent,
        as recorded in `sent`) when given. With privacy mode on, a bot gets only these."""
        with self._lock:
            chat = self._groups[chat_id]
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            **(content or {}),
        }
        if text is not None:
            message["text"] = text
            command = COMMAND.match(text)
            if command:
                message["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": len(command.group())}
                ]
        if reply_to is not None:
            message["reply_to_message"] = _without_reply(reply_to)
        with self._lock:
            self.received.append(message)
        return {"update_id": next(self._update_ids), "message": message}

    def press(
        self,
        message: dict[str, Any],
        data: str,
        *,
        user_id: int,
        first_name: str = "Anna",
        last_name: str | None = "de Vries",
        username: str | None = None,
    ) -> str:
        """Queues a press on a button of `message` (in any chat) by `user_id`, with the given
        callback data (the button's, or a forged one); returns the callback query's id."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        query_id = str(next(self._callback_ids))
        with self._lock:
            self._open_queries.add(query_id)
            current = next(
                (
                    m
                    for m in self.sent
                    if m["chat"]["id"] == message["chat"]["id"]
                    and m["message_id"] == message["message_id"]
                ),
                message,
            )
        query = {
            "id": query_id,
            "from": user,
            "chat_instance": f"ci{message['chat']['id']}",
            "data": data,
            "message": _without_reply(current),
        }
        self.push({"update_id": next(self._update_ids), "callback_query": query})
        return query_id

    def text_update(
        self,
        user_id: int,
        text: str,
        language_code: str | None = "en",
        *,
        first_name: str = "Test",
    ) -> dict[str, Any]:
        """An Update with a new text message (commands get their bot_command entity)."""
        user = self.user(user_id, language_code=language_code, first_name=first_name)
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": user,
            "chat": self._chat(user),
            "date": int(time.time()),
            "text": text,
        }
        command = COMMAND.match(text)
        if command:
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(command.group())}
            ]
        return {"update_id": next(self._update_ids), "message": message}

    def message_update(
        self, user_id: int, content: dict[str, Any], language_code: str | None = "en"
    ) -> dict[str, Any]:
        """An Update with a message of another kind, e.g. {"location": {...}}."""
        user = self.user(user_id, language_code=language_code)
        message = {
            "message_id": next(self._message_ids),
            "from": user,
            "chat": self._chat(user),
            "date": int(time.time()),
            **content,
        }
        return {"update_id": next(self._update_ids), "message": message}

    def callback_update(self, user_id: int, data: str) -> dict[str, Any]:
        """An Update for a press on an inline button of the bot's last message to this user."""
        with self._lock:
            user = self._users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": "T"}
            self._users[user_id] = user
            mine = [m for m in self.sent if m["chat"]["id"] == user_id]
            message = mine[-1] if mine else None
        query_id = str(next(self._callback_ids))
        with self._lock:
            self._open_queries.add(query_id)
        query: dict[str, Any] = {
            "id": query_id,
            "from": user,
            "chat_instance": f"ci{user_id}",
            "data": data,
        }
        if message is not None:
            query["message"] = message
        return {"update_id": next(self._update_ids), "callback_query": query}

    def push(self, update: dict[str, Any]) -> int:
        """Queues an update for getUpdates; returns its update_id."""
        with self._lock:
            self._queue.append(update)
            self._lock.notify_all()
        return int(update["update_id"])

    def push_text(self, user_id: int, text: str, language_code: str | None = "en") -> int:
        return self.push(self.text_update(user_id, text, language_code))

    def push_callback(self, user_id: int, data: str) -> str:
        """Queues a button press; returns the callback query's id (to check it was answered)."""
        update = self.callback_update(user_id, data)
        self.push(update)
        return str(update["callback_query"]["id"])

    def fail_next(self, method: str, *, retry_after: int = 1) -> None:
        """The next call of `method` gets Telegram's flood-control answer (429, retry_after)."""
        self.fail(method, retry_after=retry_after)

    def fail(
        self,
        method: str,
        *,
        chat_id: int | None = None,
        times: int = 1,
        status: int = 429,
        retry_after: int | None = 1,
        description: str | None = None,
        after: int = 0,
    ) -> None:
        """The next `times` calls of `method` (to `chat_id`, or any chat), after `after` that
        succeed, fail: by default with flood control (429 and retry_after), or with another
        status (500: Telegram's side failed; the message was not sent)."""
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if status == 429
                else "Internal Server Error"
            )
        with self._lock:
            self._failures.append(
                Failure(
                    method=method.lower(),
                    chat_id=chat_id,
                    times=times,
                    status=status,
                    description=description,
                    retry_after=retry_after if status == 429 else None,
                    after=after,
                )
            )

    def hold(self, method: str, *, chat_id: int | None = None) -> Hold:
        """Calls of `method` (to `chat_id`) hang from now on, until `release()`."""
        hold = Hold(method.lower(), chat_id)
        with self._lock:
            self._holds.append(hold)
        return hold

    def release(self, hold: Hold, *, deliver: bool = False) -> None:
        """Ends a hold. The held calls then complete (deliver) or fail as if they had never
        reached Telegram (the default: the sender died while they were on their way)."""
        with self._lock:
            hold.deliver = deliver
            hold.released = True
            self._holds.remove(hold)
            self._lock.notify_all()

    def block(self, user_id: int) -> None:
        """The user blocks the bot: messages to them get 403 from now on."""
        with self._lock:
            self._blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        with self._lock:
            self._blocked.discard(user_id)

    def edits_of(self, chat_id: int, message_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [
                e for e in self.edits if e["chat_id"] == chat_id and e["message_id"] == message_id
            ]

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.sent if m["chat"]["id"] == chat_id]

    def wait_for_messages(
        self, chat_id: int, n: int, timeout: float = 30.0
    ) -> list[dict[str, Any]]:
        """The messages sent to a chat, once there are at least n of them."""
        self.wait_until(lambda: len(self.sent_to(chat_id)) >= n, timeout, what=f"{n} message(s)")
        return self.sent_to(chat_id)

    def wait_for_text(
        self, chat_id: int, fragment: str, *, after: int = 0, timeout: float = 30.0
    ) -> list[dict[str, Any]]:
        """The messages sent to a chat (from index `after`), once one contains `fragment`."""

        def found() -> bool:
            return any(fragment in m["text"] for m in self.sent_to(chat_id)[after:])

        self.wait_until(found, timeout, what=f"a message with {fragment[:80]!r}")
        return self.sent_to(chat_id)[after:]

    def wait_until(
        self, condition: Callable[[], bool], timeout: float, *, what: str = "the condition"
    ) -> None:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                if condition():
                    return
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
                self._lock.wait(min(remaining, 0.2))

    def calls_of(self, method: str) -> list[ApiCall]:
        with self._lock:
            return [c for c in self.calls if c.method.lower() == method.lower()]

    # --- the Bot API ------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        params = await _parameters(request)
        try:
            if request.path_params["token"] != TOKEN:
                raise ApiError(401, "Unauthorized")
            handler = getattr(self, f"_api_{method.lower()}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            await self._maybe_hold(method, params)
            self._maybe_fail(method, params)
            result = await handler(params)
        except ApiError as error:
            self._record(method, params, error.status)
            body: dict[str, Any] = {
                "ok": False,
                "error_code": error.status,
                "description": error.description,
            }
            if error.parameters:
                body["parameters"] = error.parameters
            return JSONResponse(body, status_code=error.status)
        self._record(method, params, 200)
        return JSONResponse({"ok": True, "result": result})

    def _record(self, method: str, params: dict[str, Any], status: int) -> None:
        with self._lock:
            self.calls.append(ApiCall(method, params, status))
            self._lock.notify_all()

    def _maybe_fail(self, method: str, params: dict[str, Any]) -> None:
        with self._lock:
            failure = next(
                (
                    f
                    for f in self._failures
                    if f.method == method.lower() and f.chat_id in (None, params.get("chat_id"))
                ),
                None,
            )
            if failure is None:
                return
            if failure.after > 0:
                failure.after -= 1
                return
            failure.times -= 1
            if failure.times <= 0:
                self._failures.remove(failure)
        if failure.retry_after is not None:
            raise ApiError(failure.status, failure.description, retry_after=failure.retry_after)
        raise ApiError(failure.status, failure.description)

    async def _maybe_hold(self, method: str, params: dict[str, Any]) -> None:
        with self._lock:
            hold = next((h for h in self._holds if h.matches(method.lower(), params)), None)
            if hold is None:
                return
            hold.arrived += 1
            self._lock.notify_all()
        while True:
            with self._lock:
                if hold.released:
                    break
            await asyncio.sleep(0.05)
        if not hold.deliver:
            raise ApiError(502, "Bad Gateway")

    async def _api_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return BOT_USER

    async def _api_deletewebhook(self, params: dict[str, Any]) -> bool:
        with self._lock:
            self.webhook = None
            if params.get("drop_pending_updates"):
                self._queue.clear()
        return True

    async def _api_setwebhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url", "")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        with self._lock:
            self.webhook = dict(params) if url else None
        return True

    async def _api_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            with self._lock:
                if self.webhook is not None:
                    raise ApiError(
                        409,
                        "Conflict: can't use getUpdates method while webhook is active; "
                        "use deleteWebhook to delete the webhook first",
                    )
                if offset:  # confirms every update before offset
                    self._queue = [u for u in self._queue if u["update_id"] >= offset]
                if self._queue or self._closing or time.monotonic() >= deadline:
                    return self._queue[:limit]
            await asyncio.sleep(0.05)

    async def _api_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        text = params.get("text")
        with self._lock:
            user = self._users.get(chat_id) if isinstance(chat_id, int) else None
            group = self._groups.get(chat_id) if isinstance(chat_id, int) else None
            blocked = chat_id in self._blocked
        if user is None and group is None:
            raise ApiError(400, "Bad Request: chat not found")
        if blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > MESSAGE_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": BOT_USER,
            "chat": group if group is not None else self._chat(user or {}),
            "date": int(time.time()),
            "text": text,
        }
        markup = params.get("reply_markup")
        if markup is not None:
            _check_keyboard(markup)
            message["reply_markup"] = markup
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            with self._lock:
                original = next(
                    (
                        m
                        for m in [*self.sent, *self.received]
                        if m["chat"]["id"] == chat_id and m["message_id"] == reply["message_id"]
                    ),
                    {"message_id": reply["message_id"], "chat": message["chat"], "date": 0},
                )
            message["reply_to_message"] = _without_reply(original)
        with self._lock:
            self.sent.append(message)
            self._lock.notify_all()
        return message

    async def _api_editmessagereplymarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._edit(params, "reply_markup", params.get("reply_markup"))

    async def _api_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        return self._edit(params, "text", text, markup=params.get("reply_markup"))

    def _edit(
        self, params: dict[str, Any], field: str, value: Any, *, markup: Any = None
    ) -> dict[str, Any]:
        """Changes a message the bot sent, as Telegram does (and refuses a change to nothing)."""
        chat_id, message_id = params.get("chat_id"), params.get("message_id")
        if markup is not None:
            _check_keyboard(markup)
        elif field == "reply_markup" and value is not None:
            _check_keyboard(value)
        with self._lock:
            message = next(
                (
                    m
                    for m in self.sent
                    if m["chat"]["id"] == chat_id and m["message_id"] == message_id
                ),
                None,
            )
            if message is None:
                raise ApiError(400, "Bad Request: message to edit not found")
            changes = {field: value}
            if markup is not None:
                changes["reply_markup"] = markup
            if all(message.get(key) == new for key, new in changes.items()):
                raise ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and "
                    "reply markup are exactly the same as a current content and reply markup "
                    "of the message",
                )
            for key, new in changes.items():
                if new is None:
                    message.pop(key, None)
                else:
                    message[key] = new
            message["edit_date"] = int(time.time())
            self.edits.append({"chat_id": chat_id, "message_id": message_id, **changes})
            self._lock.notify_all()
            return dict(message)

    async def _api_answercallbackquery(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        with self._lock:
            if query_id not in self._open_queries:  # unknown, or answered already
                raise ApiError(
                    400,
                    "Bad Request: query is too old and response timeout expired or query ID "
                    "is invalid",
                )
            self._open_queries.discard(query_id)
            self.answered.append(params)
            self._lock.notify_all()
        return True

    async def _api_setmycommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        with self._lock:
            self.commands[params.get("language_code") or ""] = commands
        return True

    @staticmethod
    def _chat(user: dict[str, Any]) -> dict[str, Any]:
        return {"id": user["id"], "type": "private", "first_name": user["first_name"]}


def _check_keyboard(markup: dict[str, Any]) -> None:
    for row in markup["inline_keyboard"]:
        for button in row:
            if not 1 <= len(button.get("callback_data", "x").encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )


def _without_reply(message: dict[str, Any]) -> dict[str, Any]:
    """A message as Telegram nests it in reply_to_message (one level only)."""
    return {key: value for key, value in message.items() if key != "reply_to_message"}


async def _parameters(request: Request) -> dict[str, Any]:
    """A Bot API call's parameters: a query string, a form (each value JSON but for plain
    strings, which is how PTB sends them) or a JSON body."""
    body = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        loaded = json.loads(body or b"{}")
        return dict(loaded) if isinstance(loaded, dict) else {}
    pairs = [*request.query_params.multi_items(), *parse_qsl(body.decode(), keep_blank_values=True)]
    params: dict[str, Any] = {}
    for name, value in pairs:
        if name in STRING_FIELDS:
            params[name] = value
            continue
        try:
            params[name] = json.loads(value)
        except ValueError:
            params[name] = value
    return params

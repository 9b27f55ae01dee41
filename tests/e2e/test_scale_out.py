"""Scale-out on one machine: two gateways and two Rasa servers behind nginx, PostgreSQL (app
database and Rasa's tracker store) and Redis (Rasa's lock store, shared rate limits and
message idempotency keys), as in the README's "Production topology" and deploy/.

    client -> nginx :public -> gateway A | gateway B -> nginx :rasa -> Rasa A | Rasa B
                                                                      (each with its action server)

nginx balances round robin, so the turns of one conversation go to different gateways and
different Rasa servers. Under concurrent conversations, one Rasa server and one gateway are
killed (SIGKILL) mid-run; the rest keep serving. Clients retry a message once, with the same
Idempotency-Key, after a connection error or a 502/503. Checked afterwards in PostgreSQL:
every message is in its conversation's tracker exactly once, in the order sent, answered by
the bot; and no conversation has more than one ticket.

Skips with its reason where nginx, PostgreSQL or Redis is missing (`make test`'s setup
installs nginx when it runs as root). Takes about two minutes.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import secrets
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from bot.config import PROJECT_ROOT, Settings
from bot.db.migrate import migrate
from bot.pseudonym import Pseudonymizer
from bot.texts import load_texts
from tests.support import Stack, free_port, fresh_postgres_database, postgres_admin_url

pytestmark = pytest.mark.stack

REDIS_URL = os.environ.get("WEGWIJS_TEST_REDIS_URL", "redis://127.0.0.1:6379/6")
NGINX_PROXY = PROJECT_ROOT / "deploy/nginx/proxy.conf"
CONVERSATIONS = 16
RATE_LIMIT = 12  # messages per minute per conversation, for the shared-limit test
QUESTIONS = {
    "en": ["How do I get a DigiD?", "Where can I learn Dutch?", "How do I find a doctor?"],
    "nl": ["Hoe vraag ik een DigiD aan?", "Waar kan ik Nederlands leren?", "Hoe vind ik werk?"],
    "uk": ["Як отримати DigiD?", "Де вивчати нідерландську мову?", "Як знайти лікаря?"],
}
THANKS = {"en": "thank you", "nl": "dank je wel", "uk": "дякую"}
# A question for staff, and asking for a person (as tests/e2e/test_escalation_web.py does).
FOR_STAFF = {
    "uk": (
        "Сусід сверлить стіну щоночі після опівночі, чи може гемеенте щось із цим зробити?",
        "Я хочу поговорити з людиною",
    ),
    "en": (
        "My neighbour drills into the wall every night after midnight, can the municipality "
        "do something?",
        "I want to talk to a person",
    ),
    "nl": (
        "Mijn buurman boort elke nacht na middernacht in de muur, kan de gemeente daar iets "
        "aan doen?",
        "Ik wil met een medewerker praten",
    ),
}
ESCALATING = 6  # of the conversations, these ask for a person (two per language)
CODE = re.compile(r"\b([A-Z0-9]{3}-[A-Z0-9]{3})\b")
WEGWIJS = PROJECT_ROOT / ".venvs/app/bin/wegwijs"


def nginx_binary() -> str | None:
    return (
        os.environ.get("WEGWIJS_NGINX")
        or shutil.which("nginx")
        or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    )


def redis_reachable() -> bool:
    import redis

    try:
        with redis.Redis.from_url(REDIS_URL, socket_timeout=1) as client:
            client.flushdb()  # this test's own database number
        return True
    except redis.RedisError:
        return False


@dataclass
class Cluster:
    url: str
    database_url: str
    stacks: dict[str, Stack]
    pseudonyms: Pseudonymizer
    nginx: subprocess.Popen[bytes]
    rasa_log: Path


def nginx_config(
    directory: Path, *, public: int, rasa: int, gateways: list[int], rasas: list[int]
) -> Path:
    """The test's nginx: the same proxy settings as deploy/nginx (included from there)."""
    for name in ("client", "proxy", "fastcgi", "uwsgi", "scgi"):
        (directory / name).mkdir(parents=True, exist_ok=True)
    user = "user root;" if os.geteuid() == 0 else ""

    def upstream(name: str, ports: list[int]) -> str:
        servers = "".join(
            f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;\n" for p in ports
        )
        return f"  upstream {name} {{\n{servers}    keepalive 16;\n  }}\n"

    config = directory / "nginx.conf"
    config.write_text(
        f"""{user}
worker_processes 1;
daemon off;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  client_body_temp_path {directory}/client;
  proxy_temp_path {directory}/proxy;
  fastcgi_temp_path {directory}/fastcgi;
  uwsgi_temp_path {directory}/uwsgi;
  scgi_temp_path {directory}/scgi;
  log_format rasa '$upstream_addr $status $http_x_wegwijs_conversation';
{upstream("wegwijs_gateways", gateways)}{upstream("wegwijs_rasa", rasas)}
  server {{
    listen 127.0.0.1:{public};
    access_log off;
    location / {{
      proxy_pass http://wegwijs_gateways;
      include {NGINX_PROXY};
    }}
  }}
  server {{
    listen 127.0.0.1:{rasa};
    access_log {directory}/rasa-access.log rasa;
    location / {{
      proxy_pass http://wegwijs_rasa;
      include {NGINX_PROXY};
    }}
  }}
}}
"""
    )
    return config


def settings_for(
    var_dir: Path, *, database_url: str, key: str, rasa_url: str, rasa_port: int
) -> Settings:
    values = {
        "WEGWIJS_VAR_DIR": str(var_dir),
        "RASA_PORT": str(rasa_port),
        "RASA_URL": rasa_url,
        "ACTION_PORT": str(free_port()),
        "GATEWAY_PORT": str(free_port()),
        "PSEUDONYM_KEY": key,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "RATE_LIMIT_PER_CLIENT": "1000000",
        "RATE_LIMIT_PER_CONVERSATION": str(RATE_LIMIT),
        # A gateway that dies holding a message is taken over after this (the test's runs
        # are short; production keeps the default 30 s).
        "IDEMPOTENCY_LEASE_SECONDS": "6",
        # A killed Rasa server's conversation locks expire after this (production: 15 s).
        "RASA_LOCK_LIFETIME_SECONDS": "8",
    }
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def cluster(trained_model: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    nginx = nginx_binary()
    if nginx is None:
        pytest.skip("no nginx (make test's setup installs Debian's nginx-light when root)")
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip("no PostgreSQL reachable (set DATABASE_URL)")
    if not redis_reachable():
        pytest.skip(f"no Redis at {REDIS_URL} (set WEGWIJS_TEST_REDIS_URL)")
    root = tmp_path_factory.mktemp("scale-out")
    public, rasa_lb = free_port(), free_port()
    key = secrets.token_hex(32)
    with fresh_postgres_database(admin) as database_url:
        stacks: dict[str, Stack] = {}
        process: subprocess.Popen[bytes] | None = None
        try:
            for name in ("a", "b"):
                (root / name).mkdir()
                port = free_port()
                stacks[name] = Stack(
                    settings_for(
                        root / name,
                        database_url=database_url,
                        key=key,
                        rasa_url=f"http://127.0.0.1:{port}",
                        rasa_port=port,
                    )
                )
            # Both Rasa servers load their model at the same time; Alembic (each stack's start
            # brings the database to the latest schema) is not thread-safe: one at a time.
            migrating = threading.Lock()

            def migrate_once(url: str) -> None:
                with migrating:
                    migrate(url)

            with pytest.MonkeyPatch.context() as patch:
                patch.setattr("bot.stack.migrate", migrate_once)
                starters = [
                    threading.Thread(target=s.start, args=(("rasa", "actions"),))
                    for s in stacks.values()
                ]
                for starter in starters:
                    starter.start()
                for starter in starters:
                    starter.join()
            for stack in stacks.values():
                assert set(stack.processes) == {"rasa", "actions"}, stack.tail("rasa")
            config = nginx_config(
                root / "nginx",
                public=public,
                rasa=rasa_lb,
                gateways=[s.settings.gateway_port for s in stacks.values()],
                rasas=[s.settings.rasa_port for s in stacks.values()],
            )
            process = subprocess.Popen(
                [nginx, "-c", str(config), "-p", str(root / "nginx")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
            for stack in stacks.values():
                # The gateways talk to Rasa through the balancer.
                stack.settings = stack.settings.model_copy(
                    update={"rasa_url": f"http://127.0.0.1:{rasa_lb}"}
                )
                stack.start(("gateway",))
            yield Cluster(
                url=f"http://127.0.0.1:{public}",
                database_url=database_url,
                stacks=stacks,
                pseudonyms=Pseudonymizer(key.encode()),
                nginx=process,
                rasa_log=root / "nginx/rasa-access.log",
            )
        finally:
            for stack in stacks.values():
                stack.stop()
            if process is not None:
                process.terminate()
                process.wait(timeout=10)


@dataclass
class Client:
    """A newcomer whose every message carries an Idempotency-Key; retried once, same key."""

    url: str
    language: str
    token: str = ""
    buttons: dict[str, str] = field(default_factory=dict)  # title -> id
    code: str | None = None  # the ticket's code, when this newcomer asked for a person
    sent: list[tuple[str, str]] = field(default_factory=list)  # (idempotency key, kind)
    failures: list[str] = field(default_factory=list)
    retries: int = 0
    replayed: int = 0

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.url, timeout=60.0)

    def post(self, path: str, body: dict[str, object], key: str | None) -> dict[str, object] | None:
        headers = {"Idempotency-Key": key} if key else {}
        for attempt in (1, 2):
            try:
                response = self.http.post(path, json=body, headers=headers)
            except httpx.TransportError as error:
                outcome = f"{type(error).__name__}"
            else:
                if response.status_code in (200, 201) and response.json().get("messages"):
                    if response.headers.get("idempotent-replayed"):
                        self.replayed += 1
                    data: dict[str, object] = response.json()
                    self.buttons = {
                        b["title"]: b["id"]
                        for m in data["messages"]  # type: ignore[attr-defined]
                        for b in m["buttons"]
                    }
                    return data
                outcome = f"HTTP {response.status_code} {response.text[:120]}"
            if attempt == 1 and key is not None:
                self.retries += 1
                # A lost connection is retried at once; "Rasa unavailable" (a server just
                # died, its conversation lock still held) after a pause, as a person would.
                time.sleep(0.5 if outcome.startswith(("Connect", "Read", "Remote")) else 3.0)
                continue
            if attempt == 1 and key is None and path == "/api/conversations":
                self.retries += 1  # a new conversation: safe to ask again
                time.sleep(0.5)
                continue
            self.failures.append(f"{path} {body}: {outcome}")
        return None

    def start(self) -> bool:
        data = self.post("/api/conversations", {"language": self.language}, None)
        if data is None:
            return False
        self.token = str(data["conversation"])
        return True

    def say(self, text_: str) -> dict[str, object] | None:
        key = uuid.uuid4().hex
        self.sent.append((key, "text"))
        return self.post(f"/api/conversations/{self.token}/messages", {"text": text_}, key)

    def press(self, title: str) -> dict[str, object] | None:
        if title not in self.buttons:
            self.failures.append(f"no button {title!r} in {list(self.buttons)}")
            return None
        key = uuid.uuid4().hex
        self.sent.append((key, "button"))
        body = {"button": self.buttons[title]}
        return self.post(f"/api/conversations/{self.token}/messages", body, key)

    def ask_a_person(self) -> bool:
        question, person = FOR_STAFF[self.language]
        if self.say(question) is None or self.say(person) is None:
            return False
        created = self.press(button_title("send_to_staff", self.language))
        if created is None:
            return False
        texts = "\n".join(str(m["text"]) for m in created["messages"])  # type: ignore[attr-defined]
        found = CODE.search(texts)
        if found is None:
            self.failures.append(f"no ticket code in {texts!r}")
            return False
        self.code = found[1]
        return True

    def press_any(self) -> bool:
        if not self.buttons:
            return True
        key = uuid.uuid4().hex
        self.sent.append((key, "button"))
        path = f"/api/conversations/{self.token}/messages"
        button = random.choice(list(self.buttons.values()))
        return self.post(path, {"button": button}, key) is not None


def button_title(name: str, language: str) -> str:
    return str(load_texts(PROJECT_ROOT).buttons[name]["title"][language])


def converse(client: Client, turns_done: threading.Semaphore, *, escalate: bool) -> None:
    if not client.start():
        return
    steps: list[Callable[[], object]] = [
        lambda: client.say(QUESTIONS[client.language][0]),
        client.press_any,
        lambda: client.say(QUESTIONS[client.language][1]),
    ]
    steps += [client.ask_a_person] if escalate else [client.press_any]
    steps += [
        lambda: client.say(QUESTIONS[client.language][2]),
        lambda: client.say(THANKS[client.language]),
    ]
    for step in steps:
        if not step():  # a failure is recorded; the conversation stops
            return
        turns_done.release()
        time.sleep(random.uniform(0.0, 0.4))


def tracker_user_events(
    cluster: Cluster, conversation_id: str
) -> list[tuple[int, str, dict[str, object]]]:
    engine = create_engine(
        cluster.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    )
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, type_name, data FROM events WHERE sender_id = :s ORDER BY id"),
                {"s": conversation_id},
            ).all()
    finally:
        engine.dispose()
    return [(int(r[0]), str(r[1]), json.loads(r[2])) for r in rows]


def test_the_conversation_rate_limit_holds_across_gateways(cluster: Cluster) -> None:
    app_source = (PROJECT_ROOT / "bot/app.py").read_text()
    if "make_rate_limiter" not in app_source:
        pytest.skip(
            "bot/app.py does not build its limiters with bot.rate_limit.make_rate_limiter yet "
            "(the hook is described in the scale-out report)"
        )
    client = Client(cluster.url, "en")
    assert client.start()
    statuses = []
    for n in range(RATE_LIMIT + 4):
        response = client.http.post(
            f"/api/conversations/{client.token}/messages",
            json={"text": f"ok {n}"},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        statuses.append(response.status_code)
    # Both gateways served this conversation, and together they allowed the limit only.
    client.http.close()
    assert statuses.count(200) == RATE_LIMIT
    assert statuses.count(429) == 4


def test_conversations_survive_losing_a_rasa_server_and_a_gateway(cluster: Cluster) -> None:
    random.seed(11)
    languages = ["en", "nl", "uk"]
    clients = [Client(cluster.url, languages[i % 3]) for i in range(CONVERSATIONS)]
    turns_done = threading.Semaphore(0)
    threads = [
        threading.Thread(target=converse, args=(c, turns_done), kwargs={"escalate": i < ESCALATING})
        for i, c in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    # A third of the way in, kill Rasa B and gateway A, hard, while messages are in flight.
    for _ in range(CONVERSATIONS * 6 // 3):
        assert turns_done.acquire(timeout=120), "the conversations stalled before the kill"
    cluster.stacks["b"].stop(("rasa",), hard=True)
    cluster.stacks["a"].stop(("gateway",), hard=True)
    for thread in threads:
        thread.join(timeout=240)
    assert not any(thread.is_alive() for thread in threads)
    for client in clients:
        client.http.close()
    print(
        f"scale-out: {sum(len(c.sent) for c in clients)} messages, "
        f"{sum(c.retries for c in clients)} retried, {sum(c.replayed for c in clients)} replayed"
    )

    failures = [f for c in clients for f in c.failures]
    assert failures == []  # every message answered, after at most one retry

    # The tracker store: each message exactly once, in the order sent, each one answered.
    for client in clients:
        conversation_id = cluster.pseudonyms.conversation_id("web", client.token)
        events = tracker_user_events(cluster, conversation_id)
        ids = [event_id for event_id, _t, _d in events]
        assert ids == sorted(ids)
        keys = [
            str((data.get("metadata") or {}).get("message_key"))  # type: ignore[union-attr]
            for _id, type_name, data in events
            if type_name == "user" and (data.get("metadata") or {}).get("message_key")  # type: ignore[union-attr]
        ]
        expected = [
            hashlib.sha256(f"{client.token}:{key}".encode()).hexdigest()[:40]
            for key, _kind in client.sent
        ]
        assert keys == expected, (
            f"conversation {conversation_id}: tracker {keys} != sent {expected}"
        )
        kinds = [type_name for _id, type_name, _d in events if type_name in ("user", "bot")]
        answered = [kinds[i + 1 : i + 2] == ["bot"] for i, k in enumerate(kinds) if k == "user"]
        assert all(answered), f"conversation {conversation_id}: a message without an answer"

    # The turns of one conversation really went to both Rasa servers (before the kill).
    upstreams: dict[str, set[str]] = {}
    for line in cluster.rasa_log.read_text(errors="replace").splitlines():
        upstream, _status, sender = line.split(" ", 2)
        if sender.startswith("we-"):
            upstreams.setdefault(sender, set()).add(upstream.split(",")[0])
    both = sum(1 for servers in upstreams.values() if len(servers) > 1)
    assert both >= CONVERSATIONS // 2, upstreams

    # No ticket lost or duplicated: one for each newcomer who asked for a person, none for
    # the others.
    engine = create_engine(
        cluster.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    )
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT conversation_id, code FROM tickets")).all()
    finally:
        engine.dispose()
    by_conversation: dict[str, list[str]] = {}
    for conversation_id, code in rows:
        by_conversation.setdefault(str(conversation_id), []).append(str(code))
    escalated = clients[:ESCALATING]
    for client in escalated:
        conversation_id = cluster.pseudonyms.conversation_id("web", client.token)
        assert client.code is not None
        assert by_conversation.get(conversation_id) == [client.code.replace("-", "")]
    assert len(rows) == len(escalated)

    # Staff answer every ticket (the staff command line, on the shared database); the answers
    # are delivered by the surviving gateway's outbox and reach the right newcomer only.
    env = {**os.environ, "DATABASE_URL": cluster.database_url, "STAFF_LANGUAGE": "en"}
    for client in escalated:
        answer = f"Answer for ticket {client.code}"
        done = subprocess.run(
            [str(WEGWIJS), "staff", "answer", str(client.code), "--text", answer, "--as", "Anna"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    for client in clients:
        with httpx.Client(base_url=cluster.url, timeout=40.0) as http:
            response = http.get(
                f"/api/conversations/{client.token}/updates",
                params={"wait": 20 if client.code else 0},
            )
        assert response.status_code == 200, response.text
        staff = [m["text"] for m in response.json()["messages"] if m["sender"] == "staff"]
        if client.code:
            assert len(staff) == 1, staff
            assert f"Answer for ticket {client.code}" in staff[0]
        else:
            assert staff == []

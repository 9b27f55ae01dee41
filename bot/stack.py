"""A local stack: Rasa, the action server and the gateway, started from the Procfile like
`make run`, on free ports. Used by the tests, the evaluation and the benchmarks."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from honcho.environ import parse_procfile

from bot.config import PROJECT_ROOT, Settings
from bot.db.migrate import migrate
from bot.processes import process_environment
from bot.training import current_model


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stack_settings(var_dir: Path, *, database_url: str = "") -> Settings:
    rasa_port = free_port()
    values = {
        "WEGWIJS_VAR_DIR": str(var_dir),
        "RASA_PORT": str(rasa_port),
        "RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "ACTION_PORT": str(free_port()),
        "GATEWAY_PORT": str(free_port()),
        "PSEUDONYM_KEY": secrets.token_hex(32),
        "DATABASE_URL": database_url,
        # Tests, the evaluation and the benchmarks all come from 127.0.0.1 at full speed.
        "RATE_LIMIT_PER_CLIENT": "1000000",
        "RATE_LIMIT_PER_CONVERSATION": "1000000",
    }
    return Settings(**values)  # type: ignore[arg-type]


@dataclass
class Stack:
    """Rasa, the action server and the gateway, started from the Procfile like `make run`."""

    settings: Settings
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # Extra variables for the processes (e.g. TELEGRAM_MODE), read at each start().
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.gateway_port}"

    @property
    def log_dir(self) -> Path:
        return self.settings.var_dir / "logs"

    def start(self, names: tuple[str, ...] = ("rasa", "actions", "gateway")) -> None:
        env = process_environment(
            self.settings, model=current_model(PROJECT_ROOT, self.settings.model_dir)
        )
        # A stack never talks to the real Telegram with a token from a developer's .env.
        env["TELEGRAM_BOT_TOKEN"] = ""
        env.update(self.environment)
        migrate(self.settings.effective_database_url)
        procfile = parse_procfile((PROJECT_ROOT / "Procfile").read_text())
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in names:
            with (self.log_dir / f"{name}.log").open("ab") as log:
                self.processes[name] = subprocess.Popen(
                    ["bash", "-c", f"exec {procfile.processes[name]}"],
                    cwd=PROJECT_ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        self.wait_ready(names)

    def wait_ready(self, names: tuple[str, ...], timeout: float = 180.0) -> None:
        checks = {
            "rasa": f"{self.settings.rasa_url}/webhooks/rest/",
            "actions": f"http://127.0.0.1:{self.settings.action_port}/health",
            "gateway": f"{self.url}/healthz",
        }
        deadline = time.monotonic() + timeout
        for name in names:
            while True:
                process = self.processes[name]
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited ({process.returncode}):\n{self.tail(name)}")
                try:
                    if httpx.get(checks[name], timeout=2.0).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{name} not ready after {timeout:.0f} s:\n{self.tail(name)}"
                    )
                time.sleep(0.3)

    def stop(self, names: tuple[str, ...] | None = None, *, hard: bool = False) -> None:
        for name in names or tuple(self.processes):
            process = self.processes.pop(name, None)
            if process is None or process.poll() is not None:
                continue
            os.killpg(process.pid, signal.SIGKILL if hard else signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def tail(self, name: str, lines: int = 40) -> str:
        path = self.log_dir / f"{name}.log"
        return (
            "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
            if path.exists()
            else ""
        )

"""Starts Rasa, the action server and the gateway together (honcho), with one environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.config import Settings
from bot.pseudonym import load_or_create_key
from bot.scale_out import rasa_lock_store_environment
from bot.training import current_model, rasa_environment


def process_environment(settings: Settings, *, model: Path) -> dict[str, str]:
    """Everything the three processes read, derived from one Settings object."""
    key = load_or_create_key(
        settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None,
        settings.var_dir,
    )
    env = rasa_environment()
    env.update(
        {
            "WEGWIJS_MODEL": str(model),
            "WEGWIJS_ACTION_ENDPOINT": f"http://127.0.0.1:{settings.action_port}/webhook",
            "WEGWIJS_TRACKER_STORE_URL": settings.effective_tracker_store_url,
            # The gateway reads it too (/mydata, /forget, the purge), from the same setting.
            "TRACKER_STORE_URL": settings.effective_tracker_store_url,
            "WEGWIJS_VAR_DIR": str(settings.var_dir),
            "RASA_PORT": str(settings.rasa_port),
            "RASA_URL": settings.rasa_url,
            "ACTION_PORT": str(settings.action_port),
            "ACTION_METRICS_PORT": str(settings.action_metrics_port),
            "ACTION_METRICS_HOST": settings.metrics_host,
            "GATEWAY_HOST": settings.gateway_host,
            "GATEWAY_PORT": str(settings.gateway_port),
            "DATABASE_URL": settings.effective_database_url,
            "RATE_LIMIT_PER_CONVERSATION": str(settings.rate_limit_per_conversation),
            "RATE_LIMIT_PER_CLIENT": str(settings.rate_limit_per_client),
            "PSEUDONYM_KEY": key.decode(),
            "PYTHONUNBUFFERED": "1",
            "SANIC_HOST": "127.0.0.1",
            "REDIS_URL": settings.redis_url,
            "IDEMPOTENCY_LEASE_SECONDS": str(settings.idempotency_lease_seconds),
            "GATEWAY_WORKERS": str(settings.gateway_workers),
        }
    )
    # rasa_runtime/sitecustomize.py: a faster check of action server answers in Rasa.
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(settings.project_root / "rasa_runtime"), env.get("PYTHONPATH", "")) if p
    )
    env.update(
        rasa_lock_store_environment(
            settings.redis_url, lock_lifetime=settings.rasa_lock_lifetime_seconds
        )
    )
    return env


def run_all(settings: Settings) -> int:
    """`make run`: the three processes with prefixed logs; Ctrl-C stops them together."""
    root = settings.project_root
    env = process_environment(settings, model=current_model(root, settings.model_dir))
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    print(
        f"Starting Rasa, the action server and the gateway. When Rasa has loaded its model "
        f"(about 30 s), chat at {settings.effective_public_url} (or run `make chat` in another "
        f"terminal); staff sign in at {settings.effective_public_url}/staff/ (the first "
        f"admin: `wegwijs staff-user create`). Ctrl-C stops everything.",
        flush=True,
    )
    honcho = Path(sys.executable).with_name("honcho")
    command = [str(honcho), "--procfile", str(root / "Procfile"), "--app-root", str(root), "start"]
    try:
        return subprocess.run(command, env=env, cwd=root, check=False).returncode
    except KeyboardInterrupt:
        return 0

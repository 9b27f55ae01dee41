"""Trains the Rasa model only when its inputs changed (the model's name is their fingerprint)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

TRAINING_INPUTS = ("config.yml", "domain", "data", "requirements/rasa.lock")
PLUGINS = "rasa_plugins"  # part of the fingerprint only when config.yml uses a plug-in
MODEL_PREFIX = "wegwijs-"
KEEP_MODELS = 2


class ModelMissing(Exception):
    pass


def fingerprint(root: Path) -> str:
    digest = hashlib.sha256()
    inputs = list(TRAINING_INPUTS)
    if PLUGINS in (root / "config.yml").read_text(encoding="utf-8"):
        inputs.append(PLUGINS)
    for name in inputs:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if not file.exists() or "__pycache__" in file.parts:
                continue
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def model_path(root: Path, model_dir: Path) -> Path:
    return model_dir / f"{MODEL_PREFIX}{fingerprint(root)}.tar.gz"


def current_model(root: Path, model_dir: Path) -> Path:
    path = model_path(root, model_dir)
    if not path.exists():
        raise ModelMissing(
            f"No model for the current training data ({path.name}). "
            "Run `make setup` (or `wegwijs train`)."
        )
    return path


def train(root: Path, model_dir: Path, *, if_changed: bool) -> Path:
    target = model_path(root, model_dir)
    if if_changed and target.exists():
        print(f"Model is up to date: {target.name}")
        return target
    model_dir.mkdir(parents=True, exist_ok=True)
    print(f"Training {target.name} (a few minutes; progress below)...", flush=True)
    command = train_command(root, model_dir, name=target.name.removesuffix(".tar.gz"))
    result = subprocess.run(command, cwd=root, env=rasa_environment(), check=False)
    if result.returncode != 0 or not target.exists():
        print("Training failed: read Rasa's message above.", file=sys.stderr)
        raise SystemExit(result.returncode or 1)
    _remove_old_models(model_dir, keep=target)
    return target


def train_command(root: Path, out: Path, *, name: str, force: bool = False) -> list[str]:
    """`rasa train` of this project's data into `out`; `force` skips Rasa's cache."""
    command = [
        str(root / ".venvs/rasa/bin/rasa"),
        "train",
        "--config",
        "config.yml",
        "--domain",
        "domain",
        "--data",
        "data",
        "--out",
        str(out),
        "--fixed-model-name",
        name,
    ]
    return [*command, "--force"] if force else command


def _remove_old_models(model_dir: Path, *, keep: Path) -> None:
    models = sorted(
        model_dir.glob(f"{MODEL_PREFIX}*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for old in [m for m in models if m != keep][KEEP_MODELS - 1 :]:
        old.unlink()


def rasa_environment() -> dict[str, str]:
    """Environment for Rasa commands: quiet TensorFlow, no telemetry, our plug-ins importable."""
    import os

    env = dict(os.environ)
    env.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONWARNINGS": "ignore",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        }
    )
    return env

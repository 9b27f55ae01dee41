"""Rasa's own conversation tests (tests/conversations/), on the trained model."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.training import current_model, rasa_environment

pytestmark = pytest.mark.stack


def test_conversation_tests_pass_in_every_language(trained_model: None, tmp_path: Path) -> None:
    model = current_model(PROJECT_ROOT, PROJECT_ROOT / "models")
    result = subprocess.run(
        [
            str(PROJECT_ROOT / ".venvs/rasa/bin/rasa"),
            "test",
            "core",
            "--stories",
            "tests/conversations",
            "--model",
            str(model),
            "--out",
            str(tmp_path),
            "--fail-on-prediction-errors",
            "--no-plot",
        ],
        cwd=PROJECT_ROOT,
        env=rasa_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    failed = tmp_path / "failed_test_stories.yml"
    report = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, f"{report}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert "# None of the test stories failed" in report or not report.strip()

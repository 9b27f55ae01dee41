"""`wegwijs purge` as an operator runs it: a real process on a real database."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.db.migrate import migrate


def test_the_purge_command_deletes_old_conversations_and_says_what_it_did(tmp_path: Path) -> None:
    app_db, tracker_db = tmp_path / "app.db", tmp_path / "tracker.db"
    migrate(f"sqlite:///{app_db}")
    with sqlite3.connect(app_db) as connection:
        connection.execute(
            "INSERT INTO conversations (id, channel, language_explicit, russian_notice_sent,"
            " created_at, last_seen_at) VALUES ('we-old', 'web', 0, 0,"
            " '2020-01-01 00:00:00', '2020-01-01 00:00:00')"
        )
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{app_db}",
        "TRACKER_STORE_URL": f"sqlite:///{tracker_db}",  # Rasa never made it: nothing there
        "RETENTION_DAYS": "30",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "purge"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "older than 30 days" in result.stdout
    assert "1 conversations" in result.stdout
    with sqlite3.connect(app_db) as connection:
        assert connection.execute("SELECT count(*) FROM conversations").fetchone() == (0,)

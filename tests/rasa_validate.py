"""`rasa data validate`, failing on any warning Rasa raises about our data (not library noise)."""

from __future__ import annotations

import subprocess
import sys

from bot.config import PROJECT_ROOT
from bot.training import rasa_environment

RASA_DATA_WARNINGS = ("UserWarning", "rasa.validator  - WARNING", "ERROR")


def main() -> int:
    result = subprocess.run(
        [
            str(PROJECT_ROOT / ".venvs/rasa/bin/rasa"),
            "data",
            "validate",
            "--domain",
            "domain",
            "--data",
            "data",
            "--config",
            "config.yml",
            "--fail-on-warnings",
        ],
        cwd=PROJECT_ROOT,
        env=rasa_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    problems = [line for line in output.splitlines() if any(m in line for m in RASA_DATA_WARNINGS)]
    for line in problems:
        print(line)
    if result.returncode != 0 or problems:
        print(output[-3000:] if not problems else "", file=sys.stderr)
        print("rasa data validate: fix the warnings above.", file=sys.stderr)
        return 1
    print("rasa data validate: no warnings.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

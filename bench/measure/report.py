"""Keeps BENCHMARKS.md current: each benchmark rewrites only its own marked section."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
from pathlib import Path


def machine_line() -> str:
    cpus = os.cpu_count() or 0
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.system()} {platform.machine()}, {cpus} cores, {memory_gib:.0f} GiB, "
        f"Python {platform.python_version()}, {dt.date.today().isoformat()}"
    )


def nest(markdown: str) -> str:
    """Fits a report under a `##` section: drops its `#` title, demotes the other headings."""
    lines = []
    for line in markdown.strip().splitlines():
        if line.startswith("# "):
            continue
        lines.append(f"#{line}" if line.startswith("#") else line)
    return "\n".join(lines).strip()


def update_section(path: Path, name: str, body: str, *, command: str) -> None:
    """Replaces the text between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n_Command: `{command}` · {machine_line()}_\n\n{nest(body)}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text)
    else:
        text = f"{text.rstrip()}\n\n{block}\n"
    path.write_text(text, encoding="utf-8")

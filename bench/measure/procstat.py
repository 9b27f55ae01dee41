"""Memory and CPU of a process and its children, read from /proc (Linux)."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces: split after its closing parenthesis.
    return raw[raw.rindex(")") + 2 :].split()


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def rss_mb(pids: list[int]) -> float:
    """Resident memory in MB (10^6 bytes), summed (children share little with a parent that
    loaded its model after forking; summing overstates at worst)."""
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e6


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / TICKS


def runqueue_seconds(pids: list[int]) -> float:
    """Time the threads spent ready to run but waiting for a CPU (/proc/<pid>/task/*/schedstat):
    high when other programs compete for the cores, so it tells a disturbed measurement."""
    total = 0
    for pid in pids:
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                total += int((task / "schedstat").read_text().split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return total / 1e9


@dataclass
class Usage:
    rss_peak_mb: float = 0.0
    rss_last_mb: float = 0.0
    cpu_seconds: float = 0.0
    runqueue_seconds: float = 0.0


@dataclass
class Sampler:
    """Samples RSS and CPU of named process trees in a thread while a block runs."""

    roots: dict[str, int]
    interval: float = 0.5
    usage: dict[str, Usage] = field(default_factory=dict)
    wall_seconds: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _cpu_start: dict[str, float] = field(default_factory=dict)
    _wait_start: dict[str, float] = field(default_factory=dict)
    _started: float = 0.0

    def __enter__(self) -> Sampler:
        self._started = time.monotonic()
        for name, pid in self.roots.items():
            self.usage[name] = Usage()
            self._cpu_start[name] = cpu_seconds(descendants(pid))
            self._wait_start[name] = runqueue_seconds(descendants(pid))
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()
        self.wall_seconds = time.monotonic() - self._started
        for name, pid in self.roots.items():
            pids = descendants(pid)
            self.usage[name].cpu_seconds = cpu_seconds(pids) - self._cpu_start[name]
            self.usage[name].runqueue_seconds = runqueue_seconds(pids) - self._wait_start[name]

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        for name, pid in self.roots.items():
            rss = rss_mb(descendants(pid))
            usage = self.usage[name]
            usage.rss_last_mb = rss
            usage.rss_peak_mb = max(usage.rss_peak_mb, rss)


def disturbance_note(load_average: tuple[float, float, float]) -> str:
    """A warning for the report when other programs were using the cores at the start."""
    cores = os.cpu_count() or 1
    if load_average[0] <= 0.5 * cores:
        return ""
    return (
        f"**Disturbed measurement:** the load average was {load_average[0]:.1f} on {cores} cores "
        "when the run started (other programs were using the CPU), so these numbers are worse "
        "than the machine can do. Rerun the command on a quiet machine."
    )

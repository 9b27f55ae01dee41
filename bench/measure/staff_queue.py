"""The staff workspace under load: the queue pages over 10,000 tickets, and 50 employees
with the queue open on live updates (Server-Sent Events on /staff/events).

The workspace alone (bench/measure/staff_queue_setup.py) is served by uvicorn in a process of
its own on a fresh migrated SQLite database; this process signs in over HTTP as an employee
would and times the pages one request at a time, then opens the event streams, creates a
ticket the way the bot does (bot.escalation.tickets.create_ticket, on an engine of its own)
and times how long each stream takes to name it.

Run: ``python -m bench.measure.staff_queue [--write]`` or ``wegwijs bench staff-queue``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.measure.procstat import cpu_seconds, disturbance_note, rss_mb
from bench.measure.staff_queue_setup import PASSWORD, fill_tickets, make_agents
from bot.config import PROJECT_ROOT
from bot.stack import free_port
from bot.staff.routes.queue import POLL_SECONDS

FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')
IDLE_SECONDS = 10.0
ARRIVAL_TIMEOUT = 10.0


@dataclass
class StaffQueueReport:
    tickets: int = 0
    requests: int = 0
    timings: dict[str, list[float]] = field(default_factory=dict)  # route -> ms
    errors: list[str] = field(default_factory=list)
    clients: int = 0
    rounds: int = 0
    delays: list[float] = field(default_factory=list)  # ms, every client of every round
    missed: int = 0
    rss_before_mb: float = 0.0
    rss_connected_mb: float = 0.0
    cpu_idle_seconds: float = 0.0
    idle_seconds: float = 0.0
    poll_seconds: float = POLL_SECONDS
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)


def _sign_in_data(page: str, email: str) -> dict[str, str]:
    found = FORM_TOKEN.search(page)
    if found is None:
        raise RuntimeError("no csrf_token field on the sign-in page")
    return {"email": email, "password": PASSWORD, "csrf_token": found.group(1)}


def _sign_in(client: httpx.Client, email: str) -> None:
    data = _sign_in_data(client.get("/staff/sign-in").text, email)
    answer = client.post("/staff/sign-in", data=data)
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in refused: {answer.status_code}")


async def _sign_in_async(client: httpx.AsyncClient, email: str) -> None:
    data = _sign_in_data((await client.get("/staff/sign-in")).text, email)
    answer = await client.post("/staff/sign-in", data=data)
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in refused: {answer.status_code}")


def _wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the workspace server exited")
        try:
            if httpx.get(f"{url}/staff/sign-in", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the workspace server did not start")


def _time_pages(url: str, email: str, codes: list[str], report: StaffQueueReport) -> None:
    """Each route `report.requests` times, one request at a time (after 5 unmeasured)."""
    routes: dict[str, Callable[[int], str]] = {
        "GET /staff/queue": lambda _i: "/staff/queue",
        "GET /staff/queue?state=all": lambda _i: "/staff/queue?state=all",
        "GET /staff/queue/rows?language=uk": lambda _i: "/staff/queue/rows?language=uk",
        "GET /staff/tickets/<code>": lambda i: f"/staff/tickets/{codes[i % len(codes)]}",
    }
    headers = {"Accept": "text/html"}
    with httpx.Client(base_url=url, timeout=30.0, headers=headers) as client:
        _sign_in(client, email)
        for label, path_of in routes.items():
            for i in range(5):
                client.get(path_of(len(codes) - 1 - i))
            timings = report.timings.setdefault(label, [])
            for i in range(report.requests):
                started = time.perf_counter()
                answer = client.get(path_of(i))
                timings.append((time.perf_counter() - started) * 1000)
                if answer.status_code != 200:
                    report.errors.append(f"{label}: {answer.status_code}")


async def _listen(
    client: httpx.AsyncClient,
    arrivals: dict[str, float],
    connected: asyncio.Event,
    arrived: asyncio.Event,
) -> None:
    async with client.stream("GET", "/staff/events") as stream:
        if stream.status_code != 200:
            raise RuntimeError(f"/staff/events: {stream.status_code}")
        async for line in stream.aiter_lines():
            if line.startswith("retry:"):
                connected.set()
            elif line.startswith("data: "):
                code = json.loads(line[6:]).get("code")
                if code:
                    arrivals.setdefault(code, time.monotonic())
                    arrived.set()


async def _create_ticket(sessions: object, number: int) -> str:
    from bot.escalation.tickets import create_ticket

    async with sessions() as session, session.begin():  # type: ignore[operator]
        ticket = await create_ticket(
            session,
            conversation_id=f"bench-live-{number}",
            channel="web",
            language="uk",
            question="Чи можу я записатися на прийом щодо BSN?",
            excerpt=[],
            topic=None,
        )
        return ticket.code


async def _live_updates(
    url: str, database_url: str, emails: list[str], pid: int, report: StaffQueueReport
) -> None:
    from bot.db.session import make_engine, make_sessionmaker

    limits = httpx.Limits(max_connections=4)
    timeout = httpx.Timeout(30.0, read=None)
    clients = [httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) for _ in emails]
    for client, email in zip(clients, emails, strict=True):
        await _sign_in_async(client, email)
    report.rss_before_mb = rss_mb([pid])
    arrivals: list[dict[str, float]] = [{} for _ in clients]
    connected = [asyncio.Event() for _ in clients]
    arrived = asyncio.Event()
    listeners = [
        asyncio.create_task(_listen(c, a, e, arrived))
        for c, a, e in zip(clients, arrivals, connected, strict=True)
    ]
    engine = make_engine(database_url)
    rng = random.Random(50)  # noqa: S311 (pauses, not secrets)
    try:
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in connected)), timeout=60)
        await asyncio.sleep(2 * report.poll_seconds)  # every stream is in its loop
        report.rss_connected_mb = rss_mb([pid])
        cpu_start, wall_start = cpu_seconds([pid]), time.monotonic()
        await asyncio.sleep(IDLE_SECONDS)
        report.cpu_idle_seconds = cpu_seconds([pid]) - cpu_start
        report.idle_seconds = time.monotonic() - wall_start
        sessions = make_sessionmaker(engine)
        for number in range(report.rounds):
            code = await _create_ticket(sessions, number)
            committed = time.monotonic()
            deadline = committed + ARRIVAL_TIMEOUT
            while not all(code in a for a in arrivals):
                arrived.clear()
                try:
                    await asyncio.wait_for(arrived.wait(), deadline - time.monotonic())
                except TimeoutError:
                    break
            for got in arrivals:
                if code in got:
                    report.delays.append((got[code] - committed) * 1000)
                else:
                    report.missed += 1
            await asyncio.sleep(rng.uniform(0.3, 1.3))  # not in step with the polls
        report.rss_connected_mb = max(report.rss_connected_mb, rss_mb([pid]))
    finally:
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
        for client in clients:
            await client.aclose()
        await engine.dispose()


def run_staff_queue_benchmark(
    *, tickets: int = 10_000, requests: int = 200, clients: int = 50, rounds: int = 10
) -> StaffQueueReport:
    report = StaffQueueReport(
        tickets=tickets, requests=requests, clients=clients, rounds=rounds,
        load_average=os.getloadavg(),
    )  # fmt: skip
    root = Path(tempfile.mkdtemp(prefix="wegwijs-staffqueue-"))
    database_url = f"sqlite:///{root / 'staff.db'}"
    print(f"Filling a database with {tickets} tickets, {clients} agents...", file=sys.stderr)
    rows = fill_tickets(database_url, tickets)
    emails = make_agents(database_url, clients)
    rng = random.Random(200)  # noqa: S311 (a fixed sample)
    codes = [str(row["code"]) for row in rng.sample(rows, min(requests, len(rows)))]
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.measure.staff_queue_setup", "--database", database_url,
         "--port", str(port), "--var", str(root)],
        cwd=PROJECT_ROOT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server)
        print(f"Timing {requests} requests per page...", file=sys.stderr)
        _time_pages(url, emails[0], codes, report)
        print(f"{clients} event streams, {rounds} new tickets...", file=sys.stderr)
        asyncio.run(_live_updates(url, database_url, emails, server.pid, report))
    finally:
        server.terminate()
        server.wait(timeout=15)
    return report


def _pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def _row(label: str, values: list[float]) -> str:
    return (
        f"| {label} | {len(values)} | {_pct(values, 0.5):.1f} | {_pct(values, 0.95):.1f} "
        f"| {max(values, default=0.0):.1f} |"
    )


def format_markdown(report: StaffQueueReport) -> str:
    cpu_share = 100 * report.cpu_idle_seconds / report.idle_seconds if report.idle_seconds else 0
    lines = [
        "# Staff workspace",
        "",
        f"A fresh migrated SQLite database with {report.tickets:,} tickets (15% open, 5% "
        "claimed, 30% answered, 50% closed; uk 60%, en 20%, nl 20%; web and Telegram; 4% "
        "urgent), the workspace alone served by uvicorn (one worker) in a process of its own, "
        "no entry search and no translation engine. Pages asked one at a time over HTTP by a "
        "signed-in agent (5 unmeasured first); the queue shows at most 200 rows.",
        "",
        "| request | n | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|",
        *(_row(f"`{label}`", values) for label, values in report.timings.items()),
        "",
        f"Live updates: {report.clients} agents, each signed in with an account of its own, "
        f"with `GET /staff/events` open; a ticket made by `create_ticket` on an engine of its "
        f"own, {report.rounds} times; the time from its commit until its code arrived in each "
        f"stream. The stream reads the database every {report.poll_seconds:g} s "
        "(`POLL_SECONDS` in bot/staff/routes/queue.py).",
        "",
        "| arrivals | p50 ms | p95 ms | max ms | missed |",
        "|---:|---:|---:|---:|---:|",
        f"| {len(report.delays)} | {_pct(report.delays, 0.5):.0f} "
        f"| {_pct(report.delays, 0.95):.0f} | {max(report.delays, default=0.0):.0f} "
        f"| {report.missed} |",
        "",
        f"Server process (RSS): {report.rss_before_mb:.0f} MB signed in with no stream open, "
        f"{report.rss_connected_mb:.0f} MB with {report.clients} streams open (peak seen). CPU "
        f"with {report.clients} streams idle for {report.idle_seconds:.0f} s: "
        f"{report.cpu_idle_seconds:.2f} s ({cpu_share:.0f}% of one core). Load average at the "
        f"start: {report.load_average[0]:.1f}.",
    ]
    if report.errors:
        lines += ["", f"Errors: {len(report.errors)} ({', '.join(sorted(set(report.errors)))})."]
    note = disturbance_note(report.load_average)
    if note:
        lines += ["", note]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.measure.staff_queue", description=__doc__
    )
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()
    report = run_staff_queue_benchmark(
        tickets=args.tickets, requests=args.requests, clients=args.clients, rounds=args.rounds
    )
    markdown = format_markdown(report)
    print(markdown)
    if args.write:
        from bench.measure.report import update_section

        command = "python -m bench.measure.staff_queue --write"  # = wegwijs bench staff-queue
        update_section(PROJECT_ROOT / "BENCHMARKS.md", "staff-queue", markdown, command=command)


if __name__ == "__main__":
    main()

"""`wegwijs check-links` against a real HTTP server on 127.0.0.1: live, dead and awkward paths."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest

from bot.config import PROJECT_ROOT
from bot.faq.links import check_links, dead_link_report, links_by_entry
from bot.faq.schema import load_knowledge_base
from bot.stack import free_port
from tests.bot.faq.link_server import StatusHandler


class _Handler(StatusHandler):
    redirect_to = "/live"

    def status(self) -> int:
        if self.path == "/live":
            return 200
        if self.path == "/moved":
            return 301
        if self.path == "/get-only":
            return 405 if self.command == "HEAD" else 200
        if self.path == "/slow":
            time.sleep(1.5)
            return 200
        return 404


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


async def test_live_paths_answer_and_dead_ones_are_reported(server: str) -> None:
    urls = [f"{server}/live", f"{server}/gone", f"{server}/moved", f"{server}/get-only"]
    results = await check_links(urls, concurrency=2, timeout=5.0)
    assert [(r.url, r.status, r.dead) for r in results] == [
        (f"{server}/live", 200, False),
        (f"{server}/gone", 404, True),
        (f"{server}/moved", 200, False),
        (f"{server}/get-only", 200, False),
    ]
    report = dead_link_report(results, {f"{server}/gone": ["housing_a", "legal_b"]})
    assert report == [f"{server}/gone: 404 (cited by housing_a, legal_b)"]


async def test_a_slow_link_times_out_and_a_closed_port_is_dead(server: str) -> None:
    closed = f"http://127.0.0.1:{free_port()}/live"
    results = await check_links([f"{server}/slow", closed], timeout=0.5)
    assert [(r.status, r.error) for r in results] == [(None, "timed out"), (None, "ConnectError")]
    assert all(result.dead for result in results)


async def test_each_link_is_checked_once(server: str) -> None:
    results = await check_links([f"{server}/live", f"{server}/live"], timeout=5.0)
    assert len(results) == 1


def test_every_source_of_the_knowledge_base_is_listed_with_its_entries() -> None:
    kb = load_knowledge_base(PROJECT_ROOT / "faq")
    cited_by = links_by_entry(kb)
    rmo = "https://www.rijksoverheid.nl/actueel/nieuws/2022/06/29/zorgverzekering-ontheemden-oekraine-verandert"
    assert set(cited_by[rmo]) == {
        "health_insurance",
        "work_permission_ukrainians",
        "work_employment_agency",
        "money_zorgtoeslag",
    }
    assert sum(len(ids) for ids in cited_by.values()) == sum(len(e.sources) for e in kb.entries)

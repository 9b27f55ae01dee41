"""Checks that every source link in the knowledge base still answers: `wegwijs check-links`.

Never run at start-up or in the default tests (it needs the internet); run it by hand or as
an optional CI job. HEAD first, because it is cheap; GET when a server refuses HEAD or
answers it with an error, since many official sites do not implement HEAD properly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from bot.faq.schema import KnowledgeBase

USER_AGENT = "Wegwijs link check (knowledge-base sources)"
DEFAULT_CONCURRENCY = 8
DEFAULT_TIMEOUT = 15.0
TIMED_OUT = "timed out"  # the error of a link that gave no answer within the timeout


@dataclass(frozen=True)
class LinkResult:
    url: str
    status: int | None  # the final HTTP status, after redirects; None when no answer came
    error: str = ""

    @property
    def dead(self) -> bool:
        return self.status is None or self.status >= 400


def links_by_entry(kb: KnowledgeBase) -> dict[str, list[str]]:
    """Every source URL, with the entries that cite it."""
    links: dict[str, list[str]] = {}
    for entry in kb.entries:
        for source in entry.sources:
            links.setdefault(str(source.url), []).append(entry.id)
    return links


async def _check_one(client: httpx.AsyncClient, url: str, limit: asyncio.Semaphore) -> LinkResult:
    async with limit:
        try:
            response = await client.head(url)
            if response.status_code >= 400:
                response = await client.get(url)
        except httpx.TimeoutException:
            return LinkResult(url, None, TIMED_OUT)
        except httpx.HTTPError as error:
            return LinkResult(url, None, type(error).__name__)
        return LinkResult(url, response.status_code)


async def check_links(
    urls: Iterable[str],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[LinkResult]:
    """Checks each URL once, at most `concurrency` at a time; results in the order given."""
    unique = list(dict.fromkeys(urls))
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(
        follow_redirects=True,
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": USER_AGENT},
    ) as client:
        return list(await asyncio.gather(*(_check_one(client, url, limit) for url in unique)))


def dead_link_report(results: list[LinkResult], cited_by: dict[str, list[str]]) -> list[str]:
    """One line per dead link, naming its status and the entries that cite it."""
    lines = []
    for result in results:
        if result.dead:
            answer = str(result.status) if result.status is not None else result.error
            entries = ", ".join(cited_by.get(result.url, []))
            lines.append(f"{result.url}: {answer} (cited by {entries})")
    return lines

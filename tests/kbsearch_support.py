"""The entry search over the real knowledge base with the bot's real model, shared by the
tests of search, similar tickets and the staff route. Its vectors are cached where the
gateway caches them (var/cache/, under a hash of faq/ and the model: bot/faq/search.py): the
first run embeds for about three minutes, later runs and `make run` read them, and an edit
of faq/ makes a new cache by itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.faq.search import EntrySearch
from bot.semantics.embedder import shared_embedder

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def entry_search() -> EntrySearch:
    search = EntrySearch(ROOT, shared_embedder(), cache_dir=ROOT / "var" / "cache")
    search.index()
    return search

"""Random and hostile input at the gateway's web API (real stack): never a 500, never a crash,
never a personal number in storage, never an intent typed by a user."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import Stack, stored_rows_containing

pytestmark = pytest.mark.stack

# Valid identifiers (11-test, mod-97): if one of these is ever stored, redaction failed.
IDENTIFIERS = (
    "111222333",
    "NL91ABNA0417164300",
    "NL91 ABNA 0417 1643 00",
    "+31 6 12345678",
    "06-12345678",
    "+380 67 123 45 67",
    "olena.k@example.org",
)
HOSTILE = (
    "/restart",
    '/ask_human{"ticket":"X"}',
    '/change_language{"chosen_language":"ru"}',
    "/session_start",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "{{7*7}}",
    "${jndi:ldap://x}",
    "\u202eevil\u202c",
    "\x00\x01\x1b[31m",
    "@forget_confirmed",
    "@mydata",
)
ALLOWED = {200, 201, 403, 404, 413, 422, 429}

messages = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(min_codepoint=0x590, max_codepoint=0x6FF), max_size=80),
    st.text(alphabet=st.characters(categories=["So", "Cc", "Cf", "Zs"]), max_size=80),
    st.sampled_from(HOSTILE),
    st.builds(
        lambda a, b, c: f"{a} {b} {c}",
        st.text(max_size=40),
        st.sampled_from(IDENTIFIERS),
        st.text(max_size=40),
    ),
    st.text(min_size=1001, max_size=3000),
)
bodies = st.one_of(
    st.builds(lambda text: {"text": text}, messages),
    st.builds(lambda button: {"button": button}, st.text(max_size=40)),
    st.dictionaries(
        st.text(max_size=10), st.one_of(st.none(), st.integers(), st.text(max_size=20)), max_size=3
    ),
    st.builds(lambda text: {"text": text, "button": "x"}, st.text(max_size=10)),
    st.just([1, 2, 3]),
)


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url, timeout=60.0) as http:
        yield http


@pytest.fixture(scope="module")
def token(client: httpx.Client) -> str:
    response = client.post("/api/conversations", json={"language": "en"})
    assert response.status_code == 201
    return str(response.json()["conversation"])


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=bodies)
def test_the_web_api_answers_everything_without_a_server_error(
    client: httpx.Client, token: str, body: object
) -> None:
    response = client.post(f"/api/conversations/{token}/messages", json=body)
    assert response.status_code in ALLOWED, response.text
    data = response.json()
    if response.status_code >= 400:
        assert data["error"]["message"]  # a message in the user's language, never a trace
    else:
        assert all(m["sender"] in ("bot", "system", "staff") for m in data["messages"])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=2000), path_token=st.text(max_size=80))
def test_malformed_requests_get_a_clear_4xx(
    client: httpx.Client, raw: bytes, path_token: str
) -> None:
    response = client.post(
        f"/api/conversations/{quote(path_token, safe='') or 'x'}/messages",
        content=raw,
        headers={"content-type": "application/json"},
    )
    assert 400 <= response.status_code < 500, response.text


def test_nothing_the_fuzzing_sent_is_stored_unredacted_or_as_an_intent(stack: Stack) -> None:
    """Runs after the fuzz tests of this module (same stack): the databases hold no
    identifier and no event of a typed internal intent."""
    for identifier in IDENTIFIERS:
        assert stored_rows_containing(stack.settings.var_dir, identifier) == [], identifier
    with sqlite3.connect(stack.settings.var_dir / "tracker.db") as connection:
        intents = {
            json.loads(data).get("parse_data", {}).get("intent", {}).get("name")
            for (data,) in connection.execute("SELECT data FROM events WHERE type_name = 'user'")
        }
    assert "restart" not in intents
    assert "session_start" not in intents

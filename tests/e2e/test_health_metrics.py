"""/metrics, /livez and /readyz on a real gateway: metrics on their own port with nothing
personal in them, and readiness that says 503 (naming Rasa) when Rasa is down."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support import Stack, WebChat, free_port, stack_settings

pytestmark = pytest.mark.stack

NAME = "Oksana Zwartveld-Kowalczyk"
PHONE = "0612345678"


@pytest.fixture(scope="module")
def metrics_stack(trained_model: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack(stack_settings(tmp_path_factory.mktemp("metrics")))
    running.environment["METRICS_PORT"] = str(free_port())
    running.environment["ACTION_METRICS_PORT"] = str(free_port())
    running.start()
    yield running
    running.stop()


def metrics_url(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.environment['METRICS_PORT']}/metrics"


def scrape(stack: Stack) -> str:
    response = httpx.get(metrics_url(stack), timeout=10)
    assert response.status_code == 200
    return response.text


def samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return found


def test_ready_when_rasa_the_database_are_up(metrics_stack: Stack) -> None:
    assert httpx.get(f"{metrics_stack.url}/livez").json() == {"status": "ok"}
    ready = httpx.get(f"{metrics_stack.url}/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"rasa": True, "database": True}  # no REDIS_URL: no check


def test_metrics_are_not_on_the_public_port(metrics_stack: Stack) -> None:
    assert httpx.get(f"{metrics_stack.url}/metrics").status_code == 404


def test_a_conversation_is_counted_and_nothing_personal_is_in_the_metrics(
    metrics_stack: Stack,
) -> None:
    chat = WebChat(metrics_stack.url, language="en")
    try:
        chat.start()
        chat.say(f"My name is {NAME}, my phone is {PHONE}. How do I register at the municipality?")
        chat.say("blorp flarn quux")
        token = chat.token
    finally:
        chat.close()
    text = scrape(metrics_stack)
    for personal in (NAME, "Zwartveld", PHONE, token):
        assert personal not in text
    found = samples(text)
    answers = {
        (labels["outcome"], labels["language"]): value
        for labels, value in found["wegwijs_answers_total"]
    }
    assert sum(answers.values()) == 2
    assert sum(value for (_, language), value in answers.items() if language == "en") == 2
    routes = {labels["route"] for labels, _ in found["wegwijs_http_request_duration_seconds_count"]}
    assert "/api/conversations/{token}/messages" in routes
    # The action server's own: the answer ran action_answer_faq, the nonsense the fallback.
    actions_text = httpx.get(
        f"http://127.0.0.1:{metrics_stack.environment['ACTION_METRICS_PORT']}/metrics", timeout=10
    ).text
    for personal in (NAME, "Zwartveld", PHONE, token):
        assert personal not in actions_text
    calls = {
        labels["action"]: value
        for labels, value in samples(actions_text)["wegwijs_action_duration_seconds_count"]
        if labels["status"] == "200"
    }
    assert calls.get("action_answer_faq", 0) >= 1, calls
    assert "other" not in calls, calls
    assert not any(token in route for route in routes)
    rasa_calls = sum(v for _, v in found["wegwijs_rasa_request_duration_seconds_count"])
    assert rasa_calls >= 3  # the greeting and two messages
    assert found["wegwijs_database_scrape_ok"] == [({}, 1.0)]
    assert found["wegwijs_tickets_waiting"] == [({}, 0.0)]
    assert found["wegwijs_deliveries_failed"] == [({}, 0.0)]


def test_a_404_is_counted_under_no_path_of_its_own(metrics_stack: Stack) -> None:
    assert httpx.get(f"{metrics_stack.url}/no/such/{PHONE}").status_code == 404
    text = scrape(metrics_stack)
    assert PHONE not in text
    assert 'route="unmatched"' in text


def test_two_gateway_workers_are_counted_together_on_one_port(metrics_stack: Stack) -> None:
    """GATEWAY_WORKERS=2: each worker counts in files of its own, the supervisor serves the sum."""
    metrics_stack.stop(("gateway",))
    metrics_stack.environment["GATEWAY_WORKERS"] = "2"
    try:
        metrics_stack.start(("gateway",))
        for _ in range(4):  # four clients, four connections: the workers share them
            chat = WebChat(metrics_stack.url, language="en")
            try:
                chat.start()
                chat.say("How do I register at the municipality?")
            finally:
                chat.close()
        found = samples(scrape(metrics_stack))
        answered = sum(value for _, value in found["wegwijs_answers_total"])
        assert answered == 4  # counted since this start, each message once
        workers = {
            path.stem.rsplit("_", 1)[-1]
            for path in (metrics_stack.settings.var_dir / "metrics-workers").glob("*.db")
        }
        assert len(workers) == 2, workers  # both workers write their counts
        assert found["wegwijs_database_scrape_ok"] == [({}, 1.0)]
        assert httpx.get(f"{metrics_stack.url}/metrics").status_code == 404
    finally:
        metrics_stack.stop(("gateway",))
        del metrics_stack.environment["GATEWAY_WORKERS"]
        metrics_stack.start(("gateway",))


def test_not_ready_names_rasa_when_it_is_down(metrics_stack: Stack) -> None:
    """Last in the module: Rasa stays down."""
    metrics_stack.stop(("rasa",))
    ready = httpx.get(f"{metrics_stack.url}/readyz", timeout=10)
    assert ready.status_code == 503
    assert ready.json()["down"] == ["rasa"]
    assert ready.json()["checks"] == {"rasa": False, "database": True}
    assert httpx.get(f"{metrics_stack.url}/livez").status_code == 200

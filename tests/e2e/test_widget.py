"""The web widget on the demo page, in a real headless Chromium against the real stack.

Debian's `chromium` (installed by scripts/setup) is driven by Playwright; Playwright never
downloads a browser here. axe-core comes from package.json (`npm ci`, also by scripts/setup).
`WIDGET_SCREENSHOT=docs/widget.png` saves the README's screenshot while the tests run.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bot.config import PROJECT_ROOT
from tests.support import Stack, WebChat, free_port, texts_of

pytestmark = pytest.mark.stack

CHROMIUM = Path(os.environ.get("WEGWIJS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
REPLY_TIMEOUT = 30_000  # ms: the first answers of a fresh Rasa server can be slow
WIDGET = "wegwijs-widget"
BOT_MESSAGES = f"{WIDGET} .message.bot"

# What is focused, looking into the widget's shadow root.
FOCUSED = """() => {
  const widget = document.querySelector("wegwijs-widget");
  if (document.activeElement !== widget) return document.activeElement?.tagName ?? "";
  const inner = widget.shadowRoot.activeElement;
  return inner ? `${inner.tagName.toLowerCase()}.${inner.className}` : "";
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"No Chromium at {CHROMIUM}: scripts/setup installs Debian's chromium when run as "
            "root; elsewhere install it yourself or set WEGWIJS_CHROMIUM."
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile (empty storage) and a page that fails on script errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], errors


def open_widget(page: Page, url: str, launcher: str = "Vraag het Wegwijs") -> None:
    page.goto(url)
    page.get_by_role("button", name=launcher).click()
    expect(page.locator(BOT_MESSAGES).first).to_be_visible(timeout=REPLY_TIMEOUT)


def message_count(page: Page) -> int:
    return page.locator(f"{WIDGET} .message").count()


def wait_for_reply(page: Page, before: int) -> None:
    """Waits until the user's message and at least one reply are shown, and nothing is pending."""
    page.wait_for_function(
        """before => {
             const root = document.querySelector("wegwijs-widget").shadowRoot;
             return root.querySelectorAll(".message").length > before + 1
               && !root.querySelector(".typing.active");
           }""",
        arg=before,
        timeout=REPLY_TIMEOUT,
    )


def ask(page: Page, text: str) -> None:
    """Types a question, sends it with Enter and waits for the answer."""
    before = message_count(page)
    page.locator(f"{WIDGET} textarea").fill(text)
    page.keyboard.press("Enter")
    wait_for_reply(page, before)


def save_screenshot(page: Page, target: Path) -> None:
    """The README's picture, in 128 colours to keep the repository small."""
    from PIL import Image

    page.locator(f"{WIDGET} textarea").blur()
    page.screenshot(path=target)
    with Image.open(target) as shot:
        picture = shot.convert("RGB").quantize(colors=128, dither=Image.Dither.NONE)
    picture.save(target, optimize=True)


def test_dutch_page_dutch_answer_then_the_widget_switches_to_ukrainian(
    stack: Stack, page: Page
) -> None:
    open_widget(page, f"{stack.url}/")
    greeting = page.locator(BOT_MESSAGES).first
    expect(greeting).to_have_attribute("lang", "nl")
    expect(greeting).to_contain_text("Ik ben Wegwijs")
    expect(page.get_by_role("log", name="Gesprek met Wegwijs")).to_be_visible()

    ask(page, "Hoe kan ik me inschrijven in de BRP in Almere?")
    answer = page.locator(BOT_MESSAGES).filter(has_text="Bronnen:").last
    expect(answer).to_have_attribute("lang", "nl")
    link = answer.locator("a").first
    expect(link).to_have_attribute("href", re.compile(r"^https://"))
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    if target := os.environ.get("WIDGET_SCREENSHOT"):
        save_screenshot(page, Path(target))

    # The switch inside the widget: labels change at once, the bot confirms in Ukrainian.
    switch = page.get_by_role("group", name="Taal").get_by_role("button", name="Українська")
    switch.click()
    confirmed = page.locator(BOT_MESSAGES).filter(has_text="українською").last
    expect(confirmed).to_have_attribute("lang", "uk", timeout=REPLY_TIMEOUT)
    # The switch's own label is now Ukrainian too ("Мова": language).
    switch = page.get_by_role("group", name="Мова").get_by_role("button", name="Українська")
    expect(switch).to_have_attribute("aria-pressed", "true")
    expect(page.locator(f"{WIDGET} textarea")).to_have_attribute(
        "placeholder", "Напишіть своє запитання…"
    )
    expect(page.locator(f"{WIDGET} .root")).to_have_attribute("lang", "uk")
    ask(page, "ok")  # short and ambiguous: the explicit choice holds
    expect(page.locator(BOT_MESSAGES).last).to_have_attribute("lang", "uk")

    # A reload keeps the conversation, in sessionStorage only until the user asks otherwise.
    shown = page.locator(f"{WIDGET} .message").count()
    page.reload()
    expect(page.locator(f"{WIDGET} .message")).to_have_count(shown)
    expect(page.locator(f"{WIDGET} .panel")).to_be_visible()
    storage = "() => [Object.keys(sessionStorage), Object.keys(localStorage)]"
    session_keys, local_keys = page.evaluate(storage)
    assert any(key.startswith("wegwijs:conversation:") for key in session_keys)
    assert not any(key.startswith("wegwijs:conversation:") for key in local_keys)
    page.get_by_label("Запам'ятати цю розмову на цьому пристрої").check()
    session_keys, local_keys = page.evaluate(storage)
    assert any(key.startswith("wegwijs:conversation:") for key in local_keys)
    assert not any(key.startswith("wegwijs:conversation:") for key in session_keys)


def test_keyboard_only(stack: Stack, page: Page) -> None:
    page.goto(f"{stack.url}/")
    for _ in range(80):  # Tab through the page until the launcher has focus
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED).endswith(".launcher"):
            break
    else:
        pytest.fail("Tab never reached the widget's launcher")
    launcher = page.get_by_role("button", name="Vraag het Wegwijs")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    outline = launcher.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline == "solid"  # the focus is visible

    page.keyboard.press("Enter")
    expect(launcher).to_have_attribute("aria-expanded", "true")
    assert page.evaluate(FOCUSED) == "textarea."
    expect(page.locator(BOT_MESSAGES).first).to_be_visible(timeout=REPLY_TIMEOUT)
    before = message_count(page)
    page.keyboard.type("hallo")
    page.keyboard.press("Enter")
    wait_for_reply(page, before)

    for _ in range(10):  # back from the input to the bot's last button
        page.keyboard.press("Shift+Tab")
        if page.evaluate(FOCUSED) == "button.choice":
            break
    else:
        pytest.fail("Shift+Tab never reached a button of the bot")
    pressed = page.evaluate(
        "() => document.querySelector('wegwijs-widget').shadowRoot.activeElement.textContent"
    )
    before = message_count(page)
    page.keyboard.press("Enter")
    wait_for_reply(page, before)
    expect(page.locator(f"{WIDGET} .message.user p").last).to_have_text(pressed)

    page.keyboard.press("Escape")
    expect(page.locator(f"{WIDGET} .panel")).to_be_hidden()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    assert page.evaluate(FOCUSED).endswith(".launcher")


def test_no_serious_accessibility_violations_with_the_widget_open(stack: Stack, page: Page) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run scripts/setup (it runs `npm ci`)")
    for path, launcher in (("/", "Vraag het Wegwijs"), ("/uk", "Запитайте Wegwijs")):
        if page.url.startswith("http"):
            page.evaluate("() => sessionStorage.clear()")  # a new visitor on each page
        open_widget(page, f"{stack.url}{path}", launcher)
        ask(page, "Hoe vraag ik een DigiD aan?")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            """() => axe.run(document, {
                 runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               })"""
        )
        serious = [
            f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], f"{path}: {serious}"

    # A brand colour with too little contrast is darkened until it passes; ours is kept.
    colours = page.evaluate(
        """async () => {
             const {accessibleColour} = await import("/static/widget/modules/colour.js");
             return [accessibleColour("#ffd500"), accessibleColour("#00467f"),
                     accessibleColour("not a colour")];
           }"""
    )
    assert colours[0]["adjusted"]
    assert colours[0]["ratio"] >= 4.5
    assert colours[1] == {"colour": "#00467f", "adjusted": False, "ratio": colours[1]["ratio"]}
    assert colours[2]["colour"] == "#00467f"

    # 200% zoom of a 1280x800 window: the panel fills the window and nothing is cut off.
    page.set_viewport_size({"width": 640, "height": 400})
    box = page.locator(f"{WIDGET} .panel").bounding_box()
    assert box is not None
    assert box["width"] <= 640
    assert box["height"] <= 400
    expect(page.locator(f"{WIDGET} textarea")).to_be_in_viewport()


def test_html_in_messages_is_shown_as_text(stack: Stack, page: Page) -> None:
    open_widget(page, f"{stack.url}/")
    typed = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> <b>vet</b>'
    ask(page, typed)
    expect(page.locator(f"{WIDGET} .message.user .bubble p").last).to_have_text(typed)
    assert page.locator(f"{WIDGET} .log script, {WIDGET} .log img, {WIDGET} .log b").count() == 0
    assert page.evaluate("() => window.pwned") is None

    # What the bot says is rendered the same way: text only, and links only for http(s).
    rendered = page.evaluate(
        """async () => {
             const {renderText} = await import("/static/widget/modules/render.js");
             const box = document.createElement("div");
             box.append(renderText(
               "<b>x</b> javascript:alert(1) https://example.org/a?b=1. data:text/html,hi",
               {text: "(new tab)", language: "en"}));
             return {
               html: box.innerHTML,
               links: [...box.querySelectorAll("a")].map(a => [a.href, a.rel, a.target]),
               elements: [...box.querySelectorAll("*")].map(e => e.tagName.toLowerCase()),
             };
           }"""
    )
    assert rendered["links"] == [["https://example.org/a?b=1", "noopener noreferrer", "_blank"]]
    assert set(rendered["elements"]) == {"p", "a", "span"}
    assert "&lt;b&gt;x&lt;/b&gt; javascript:alert(1)" in rendered["html"]


@pytest.fixture
def foreign_site(stack: Stack) -> Iterator[str]:
    """Another site (origin) that embeds the widget but is not in ALLOWED_ORIGINS."""
    embed = f'<script src="{stack.url}/static/widget/wegwijs-widget.js" defer></script>'
    body = f'<!doctype html><html lang="nl"><title>Elders</title><body>{embed}</body></html>'

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_an_origin_that_is_not_allowed_is_refused(
    stack: Stack, page: Page, foreign_site: str
) -> None:
    with page.expect_console_message(lambda message: "could not start" in message.text):
        page.goto(f"{foreign_site}/")
    assert page.locator(WIDGET).count() == 0
    refused = page.evaluate(
        """async (server) => {
             try {
               await fetch(`${server}/api/conversations`, {method: "POST",
                 headers: {"Content-Type": "application/json"}, body: "{}"});
               return false;
             } catch { return true; }
           }""",
        stack.url,
    )
    assert refused
    direct = httpx.post(
        f"{stack.url}/api/conversations", json={}, headers={"Origin": foreign_site}, timeout=30
    )
    assert direct.status_code == 403
    assert direct.json()["error"]["code"] == "origin_not_allowed"


def test_language_endpoint_makes_the_choice_explicit(stack: Stack) -> None:
    chat = WebChat(stack.url, language="nl")
    try:
        chat.start()
        chosen = chat.client.post(
            f"/api/conversations/{chat.token}/language", json={"language": "uk"}
        )
        assert chosen.status_code == 200, chosen.text
        data = chosen.json()
        assert data["language"] == "uk"
        assert "українською" in texts_of(data)
        assert chat.say("ok")["language"] == "uk"
        refused = chat.client.post(
            f"/api/conversations/{chat.token}/language", json={"language": "ru"}
        )
        assert refused.status_code == 422
        labels = chat.client.get("/api/widget/texts").json()
        assert set(labels) == {"uk", "en", "nl"}
        assert labels["nl"]["launcher"] == "Vraag het Wegwijs"
        assert set(labels["uk"]) == set(labels["en"]) == set(labels["nl"])
    finally:
        chat.close()


# --- escalation: a municipal employee's answer in the widget ---------------------------------

STAFF_MESSAGES = f"{WIDGET} .message.staff"
TICKET_CODE = re.compile(r"\b([A-Z0-9]{3}-[A-Z0-9]{3})\b")
LOCAL_KEYS = "() => Object.keys(localStorage).filter(k => k.startsWith('wegwijs:conversation:'))"
SESSION_KEYS = (
    "() => Object.keys(sessionStorage).filter(k => k.startsWith('wegwijs:conversation:'))"
)


def ask_for_a_person(page: Page) -> str:
    """In Dutch: a question the bot cannot answer, a person, consent; returns the code."""
    ask(page, "Mijn buurman boort elke nacht na middernacht, kan de gemeente daar iets aan doen?")
    ask(page, "Ik wil met een medewerker praten")
    before = message_count(page)
    page.get_by_role("button", name="Ja, stuur door").last.click()
    wait_for_reply(page, before)
    created = page.locator(BOT_MESSAGES).filter(has_text="De code is").last
    expect(created).to_be_visible()
    found = TICKET_CODE.search(created.inner_text())
    assert found, created.inner_text()
    return found[1]


def staff_answer(stack: Stack, code: str, text: str) -> None:
    """What a municipal employee types: `wegwijs staff answer` in a process of its own."""
    done = subprocess.run(
        [str(PROJECT_ROOT / ".venvs/app/bin/wegwijs"), "staff", "answer", code, "--text", text],
        env={
            **os.environ,
            "DATABASE_URL": stack.settings.effective_database_url,
            "WEGWIJS_VAR_DIR": str(stack.settings.var_dir),
            "WEGWIJS_STAFF_NAME": "Anna",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def serious_violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """() => axe.run(document, {
             runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
           })"""
    )
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_a_staff_answer_appears_in_the_open_widget_labelled_as_from_a_person(
    stack: Stack, page: Page
) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run scripts/setup (it runs `npm ci`)")
    open_widget(page, f"{stack.url}/")
    code = ask_for_a_person(page)
    # An answer must be able to come back after the tab is closed: the widget says it keeps
    # the conversation on this device now, and does.
    notice = page.locator(f"{WIDGET} .message.system").filter(has_text="Deze chat onthoudt")
    expect(notice).to_be_visible()
    expect(page.get_by_label("Onthoud dit gesprek op dit apparaat")).to_be_checked()
    assert page.evaluate(LOCAL_KEYS)
    assert not page.evaluate(SESSION_KEYS)

    answer = "Ja, geluidsoverlast 's nachts kun je melden: https://www.almere.nl/contact"
    staff_answer(stack, code, answer)
    staff = page.locator(STAFF_MESSAGES)
    expect(staff).to_have_count(1, timeout=8_000)  # the page is open: within seconds
    expect(staff).to_contain_text(answer)
    expect(staff).to_have_attribute("lang", "nl")
    caption = staff.locator(".from")
    expect(caption).to_be_visible()
    expect(caption).to_have_text("Medewerker van de gemeente Almere")
    assert staff.locator(".bubble").evaluate(
        "element => getComputedStyle(element).backgroundColor"
    ) != page.locator(f"{BOT_MESSAGES} .bubble").first.evaluate(
        "element => getComputedStyle(element).backgroundColor"
    )
    # In the conversation's live region, so screen readers announce it.
    expect(page.get_by_role("log", name="Gesprek met Wegwijs")).to_contain_text(answer)
    followup = page.locator(f"{WIDGET} .message.system").filter(has_text="Is je vraag hiermee")
    expect(followup.get_by_role("button", name="Ja, opgelost")).to_be_visible()
    expect(followup.get_by_role("button", name="Nee, nog niet")).to_be_visible()
    assert serious_violations(page) == []

    before = message_count(page)
    followup.get_by_role("button", name="Ja, opgelost").click()
    wait_for_reply(page, before)
    expect(page.locator(BOT_MESSAGES).last).to_contain_text(code)
    # The question is closed: the conversation goes back to this tab only.
    expect(page.get_by_label("Onthoud dit gesprek op dit apparaat")).not_to_be_checked()
    assert page.evaluate(SESSION_KEYS)
    assert not page.evaluate(LOCAL_KEYS)


def test_an_answer_that_came_while_the_page_was_closed_is_shown_next_time_once(
    stack: Stack, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        first = context.new_page()
        open_widget(first, f"{stack.url}/")
        code = ask_for_a_person(first)
        first.close()  # the tab is closed before staff answer

        answer = "Bel het Juridisch Loket: https://www.juridischloket.nl"
        staff_answer(stack, code, answer)
        time.sleep(2.0)  # delivered into the conversation's inbox meanwhile

        later = context.new_page()  # a new tab: the conversation was kept on this device
        errors: list[str] = []
        later.on("pageerror", lambda error: errors.append(str(error)))
        later.goto(f"{stack.url}/")
        launcher = later.get_by_role("button", name="Nieuw antwoord van een medewerker")
        expect(launcher).to_be_visible(timeout=8_000)  # the panel is closed: the launcher says so
        expect(later.get_by_role("status").filter(has_text="Nieuw antwoord")).to_have_count(1)
        launcher.click()
        expect(later.locator(STAFF_MESSAGES)).to_have_count(1)
        expect(later.locator(STAFF_MESSAGES)).to_contain_text(answer)
        assert later.locator(f"{WIDGET} .unread").is_hidden()
        time.sleep(1.5)  # the confirmation goes out
        later.reload()
        expect(later.locator(f"{WIDGET} .message").first).to_be_visible()
        time.sleep(1.5)
        expect(later.locator(STAFF_MESSAGES)).to_have_count(1)  # kept, and not shown twice
        assert errors == []
    finally:
        context.close()


def test_the_update_poller_asks_while_an_answer_may_come_and_stops_when_told(
    stack: Stack, page: Page
) -> None:
    page.goto(f"{stack.url}/")
    result = page.evaluate(
        """async () => {
             const {UpdatesPoller, retryDelay, LONG_WAIT} =
               await import("/static/widget/modules/updates.js");
             const {GatewayError} = await import("/static/widget/modules/gateway.js");
             const calls = [];
             const answers = [];
             const state = {token: "T".repeat(32), cursor: 0};
             const gateway = {
               updates(token, after, wait, signal) {
                 calls.push([after, wait]);
                 return new Promise((resolve, reject) => {
                   answers.push(resolve);
                   signal.addEventListener("abort",
                     () => reject(new GatewayError(null, {code: "aborted"})));
                 });
               },
             };
             const shown = [];
             const poller = new UpdatesPoller({
               gateway,
               conversation: () => state,
               onUpdates: (data) => { shown.push(...data.messages); state.cursor = data.cursor; },
             });
             const tick = () => new Promise((r) => setTimeout(r, 20));
             poller.check();
             poller.check();  // already asking: no second loop
             await tick();
             answers.at(-1)({messages: [], cursor: 0, open_tickets: 1});
             await tick();
             answers.at(-1)({messages: [{text: "a"}, {text: "b"}], cursor: 7, open_tickets: 0});
             await tick();
             answers.at(-1)({messages: [], cursor: 7, open_tickets: 0});  // the confirmation
             await tick();
             const stoppedByItself = !poller.running;
             poller.check();
             await tick();
             poller.stop();
             await tick();
             return {
               calls, shown: shown.map((m) => m.text), stoppedByItself,
               stoppedWhenTold: !poller.running, longWait: LONG_WAIT,
               delays: [1, 2, 3, 10].map((n) => retryDelay(n)),
             };
           }"""
    )
    assert result["calls"] == [[0, 0], [0, 25], [7, 0], [7, 0]]
    assert result["shown"] == ["a", "b"]
    assert result["stoppedByItself"]
    assert result["stoppedWhenTold"]
    assert result["longWait"] == 25
    one, two, three, ten = result["delays"]
    assert 1_600 <= one <= 2_400
    assert 3_200 <= two <= 4_800
    assert 6_400 <= three <= 9_600
    assert 48_000 <= ten <= 72_000  # capped at a minute

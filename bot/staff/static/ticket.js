// The ticket page: when a colleague (or the Telegram group, or the CLI) changes this ticket,
// say so in the live region and offer a reload; the text comes from the page (YAML).
// The entry search replaces only its results, so the ticked similar tickets, the draft and
// its preview stay as they are (without script the form reloads the page, as before).
"use strict";
(() => {
  const search = document.getElementById("entry-search");
  const results = document.getElementById("entry-results");
  if (!search || !results || !window.fetch || !window.DOMParser) return;
  search.addEventListener("submit", async (event) => {
    event.preventDefault();
    const url = new URL(search.action, window.location.href);
    url.searchParams.set("q", new FormData(search).get("q") || "");
    results.setAttribute("aria-busy", "true");
    const status = document.createElement("p");
    status.setAttribute("role", "status");
    status.textContent = results.dataset.searchingText;
    results.replaceChildren(status);
    try {
      const response = await fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const found = page.getElementById("entry-results");
      if (!found) throw new Error("no results on the page");
      results.replaceChildren(...Array.from(found.childNodes).map((node) => document.importNode(node, true)));
      window.history.replaceState(null, "", url.pathname + url.search);
    } catch (_error) {
      status.textContent = results.dataset.failedText;
      results.replaceChildren(status);
    } finally {
      results.removeAttribute("aria-busy");
      results.focus();
    }
  });
})();
(() => {
  const page = document.getElementById("ticket");
  const live = document.getElementById("live");
  if (!page || !live || !window.EventSource) return;
  const code = page.dataset.code;
  const source = new EventSource("/staff/events");
  let told = false;
  source.addEventListener("ticket", (message) => {
    let change;
    try { change = JSON.parse(message.data); } catch (_error) { return; }
    if (change.code !== code || told) return;
    told = true;
    const what = page.dataset["event" + change.kind.charAt(0).toUpperCase() + change.kind.slice(1)] || change.kind;
    const line = document.createElement("p");
    line.textContent = page.dataset.liveText.replace("{event}", change.actor ? what + ": " + change.actor : what);
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = page.dataset.reloadText;
    button.addEventListener("click", () => window.location.reload());
    live.replaceChildren(line, button);
  });
  source.addEventListener("signed_out", () => window.location.reload());
  window.addEventListener("pagehide", () => source.close());
})();

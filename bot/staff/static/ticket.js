// The ticket page: when a colleague (or the Telegram group, or the CLI) changes this ticket,
// say so in the live region and offer a reload; the text comes from the page (YAML).
"use strict";
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

// The queue page's live updates: follows /staff/events (Server-Sent Events) and, on a ticket
// change, fetches the table's body anew with the page's filters. Every text comes from the
// page (data-text-* attributes, texts/staff_web/queue.yml).
"use strict";
(() => {
  const live = document.getElementById("queue-live");
  if (!live || !window.EventSource) return;
  const connection = document.getElementById("queue-connection");
  const announce = document.getElementById("queue-announce");
  const count = document.getElementById("queue-count");
  const text = (name) => live.dataset["text" + name] || "";
  const eventText = (kind) => {
    const key = "Event" + kind.charAt(0).toUpperCase() + kind.slice(1);
    return text(key) || text("EventOther");
  };
  const setState = (state) => {
    live.dataset.state = state;
    connection.textContent = text(state.charAt(0).toUpperCase() + state.slice(1));
  };

  let timer = null;
  let pending = false;
  const refresh = async () => {
    timer = null;
    if (pending) { timer = setTimeout(refresh, 300); return; }
    pending = true;
    try {
      const answer = await window.staffFetch(live.dataset.rowsUrl, { headers: { Accept: "text/html" } });
      if (answer.status === 401) { window.location.reload(); return; }
      if (!answer.ok) return;
      const holder = document.createElement("table");
      holder.innerHTML = await answer.text();
      const body = holder.querySelector("tbody");
      const current = document.getElementById("queue-body");
      if (body && current) {
        current.replaceWith(body);
        if (count && body.dataset.countText) count.textContent = body.dataset.countText;
      }
    } catch (_error) {
      // The next change, or the reconnection, tries again.
    } finally {
      pending = false;
    }
  };
  const later = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  };

  setState("connecting");
  const source = new EventSource("/staff/events");
  source.addEventListener("open", () => setState("live"));
  source.addEventListener("error", () => setState("disconnected"));
  source.addEventListener("ticket", (message) => {
    let change;
    try { change = JSON.parse(message.data); } catch (_error) { return; }
    announce.textContent = eventText(change.kind)
      .replace("{code}", change.display_code || "")
      .replace("{actor}", change.actor || text("Someone"));
    later();
  });
  source.addEventListener("signed_out", () => {
    source.close();
    window.location.reload();
  });
})();

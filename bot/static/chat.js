// The demo page's chat box: talks to the gateway's JSON API (see /docs).
// Every message is inserted as text (never as HTML); only http(s) links become anchors.
const log = document.getElementById("chat-log");
const form = document.getElementById("chat-form");
const input = document.getElementById("chat-input");
const pageLanguage = document.documentElement.lang || "nl";
const STORAGE_KEY = "wegwijs.conversation";

function appendText(parent, text) {
  const urlPattern = /https?:\/\/[^\s]+[^\s.,;:!?)]/g;
  let last = 0;
  for (const match of text.matchAll(urlPattern)) {
    parent.append(document.createTextNode(text.slice(last, match.index)));
    const link = document.createElement("a");
    link.href = match[0];
    link.textContent = match[0];
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    parent.append(link);
    last = match.index + match[0].length;
  }
  parent.append(document.createTextNode(text.slice(last)));
}

function show(message, who) {
  const bubble = document.createElement("div");
  bubble.className = `msg ${who}`;
  if (message.language) bubble.lang = message.language;
  appendText(bubble, message.text);
  log.append(bubble);
  if (message.buttons && message.buttons.length) {
    const row = document.createElement("div");
    row.className = "buttons";
    for (const button of message.buttons) {
      const element = document.createElement("button");
      element.type = "button";
      element.textContent = button.title;
      element.addEventListener("click", () => send({ button: button.id }, button.title));
      row.append(element);
    }
    log.append(row);
  }
  log.scrollTop = log.scrollHeight;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Accept-Language": pageLanguage },
    body: JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) throw data.error;
  return data;
}

async function start() {
  const data = await post("/api/conversations", { language: pageLanguage });
  sessionStorage.setItem(STORAGE_KEY, data.conversation);
  data.messages.forEach((m) => show(m, m.sender));
}

async function send(body, echo) {
  show({ text: echo }, "user");
  const token = sessionStorage.getItem(STORAGE_KEY);
  try {
    const data = await post(`/api/conversations/${token}/messages`, { ...body, language: pageLanguage });
    data.messages.forEach((m) => show(m, m.sender));
  } catch (error) {
    show({ text: error?.message || String(error) }, "system");
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  send({ text }, text);
});

// A reload keeps the conversation (its token is in sessionStorage): the user types on.
if (!sessionStorage.getItem(STORAGE_KEY)) {
  start().catch((error) => show({ text: error?.message || String(error) }, "system"));
}

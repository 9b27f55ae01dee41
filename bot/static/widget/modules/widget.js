// The <wegwijs-widget> element: a launcher button and a chat panel in an open shadow root
// (the host page's styles cannot break it, and assistive technology and tests still see it).
import { accessibleColour } from "./colour.js";
import { h, icon } from "./dom.js";
import { Gateway, GatewayError } from "./gateway.js";
import { renderText } from "./render.js";
import { ConversationStore, emptyConversation } from "./storage.js";
import { UpdatesPoller } from "./updates.js";

const LANGUAGES = ["uk", "en", "nl"];
const STYLESHEET = new URL("../widget.css", import.meta.url).href;

/** "nl-NL" -> "nl"; Russian pages get Ukrainian, as in the gateway; anything else null. */
export function supportedLanguage(code) {
  const primary = String(code || "").trim().toLowerCase().split(/[-_]/)[0];
  if (primary === "ru" || primary === "ua") return "uk";
  return LANGUAGES.includes(primary) ? primary : null;
}

export class WegwijsWidget extends HTMLElement {
  #gateway;
  #texts;
  #store;
  #pageLanguage;
  #language;
  #state;
  #ui = {};
  #queue = Promise.resolve();
  #pending = 0;
  #poller;
  #onVisibility = () => {
    if (document.visibilityState === "hidden") this.#poller.stop();
    else this.#poller.check();
  };

  /** Called once before the element is added: {gateway, texts, store, pageLanguage, colour}. */
  setup({ gateway, texts, store, pageLanguage, colour }) {
    this.#gateway = gateway;
    this.#texts = texts;
    this.#store = store;
    this.#pageLanguage = pageLanguage;
    this.#state = store.load();
    this.#language = supportedLanguage(this.#state.language) ?? pageLanguage;
    this.style.setProperty("--wg-brand", colour);
    this.style.display = "none"; // until the stylesheet has loaded
  }

  connectedCallback() {
    if (!this.#texts) return;
    if (!this.shadowRoot) {
      this.#build();
      this.#applyLanguage(this.#language);
      for (const message of this.#state.messages) this.#appendMessage(message);
      this.#poller = new UpdatesPoller({
        gateway: this.#gateway,
        conversation: () => this.#state,
        onUpdates: (data) => this.#showUpdates(data),
      });
      if (this.#store.open) this.open({ focus: false });
    }
    // Answers that came while the page was closed are fetched now; more while one may come.
    document.addEventListener("visibilitychange", this.#onVisibility);
    this.#poller.check();
  }

  disconnectedCallback() {
    document.removeEventListener("visibilitychange", this.#onVisibility);
    this.#poller?.stop();
  }

  /** Opens the panel (and starts a conversation the first time); moves focus to the input. */
  open({ focus = true } = {}) {
    const { panel, launcher, input } = this.#ui;
    if (panel.hidden) {
      panel.hidden = false;
      launcher.setAttribute("aria-expanded", "true");
      launcher.replaceChild(icon("down"), launcher.firstChild);
      this.#ui.root.classList.add("is-open");
      this.#store.open = true;
      this.#setUnread(false);
      if (!this.#state.token) this.#enqueue(() => this.#ensureConversation());
      this.#ui.log.scrollTop = this.#ui.log.scrollHeight;
    }
    if (focus) input.focus();
  }

  /** Closes the panel; focus returns to the launcher. */
  close() {
    const { panel, launcher } = this.#ui;
    if (panel.hidden) return;
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.replaceChild(icon("chat"), launcher.firstChild);
    this.#ui.root.classList.remove("is-open");
    this.#store.open = false;
    launcher.focus();
  }

  #build() {
    const shadow = this.attachShadow({ mode: "open" });
    const stylesheet = h("link", { rel: "stylesheet", href: STYLESHEET });
    stylesheet.addEventListener("load", () => this.style.removeProperty("display"));
    const ui = this.#ui;

    ui.launcherLabel = h("span");
    ui.launcher = h(
      "button",
      {
        type: "button",
        class: "launcher",
        "aria-expanded": "false",
        "aria-controls": "wegwijs-panel",
        onclick: () => (ui.panel.hidden ? this.open() : this.close()),
      },
      icon("chat"),
      ui.launcherLabel,
    );

    ui.title = h("h2", { id: "wegwijs-title", class: "title" });
    ui.subtitle = h("p", { class: "subtitle" });
    ui.closeLabel = h("span", { class: "vh" });
    const header = h(
      "div",
      { class: "head" },
      h("span", { class: "avatar" }, icon("compass")),
      h("div", { class: "identity" }, ui.title, ui.subtitle),
      h(
        "button",
        { type: "button", class: "close", onclick: () => this.close() },
        icon("close"),
        ui.closeLabel,
      ),
    );

    ui.languageLabel = h("span", { id: "wegwijs-language", class: "languages-label" });
    ui.languageButtons = LANGUAGES.map((code) =>
      h("button", {
        type: "button",
        lang: code,
        "aria-pressed": "false",
        onclick: () => this.#chooseLanguage(code),
      }),
    );
    const languages = h(
      "div",
      { class: "languages", role: "group", "aria-labelledby": "wegwijs-language" },
      ui.languageLabel,
      ...ui.languageButtons,
    );

    ui.log = h("div", {
      class: "log",
      id: "wegwijs-log",
      role: "log",
      "aria-live": "polite",
      tabindex: "0",
    });
    ui.typingText = h("span");
    ui.typing = h(
      "div",
      { class: "typing", role: "status" },
      h("span", { class: "dots", "aria-hidden": "true" }, h("span"), h("span"), h("span")),
      ui.typingText,
    );

    ui.inputLabel = h("label", { for: "wegwijs-input", class: "vh" });
    ui.input = h("textarea", {
      id: "wegwijs-input",
      rows: "1",
      autocomplete: "off",
      spellcheck: "true",
      onkeydown: (event) => {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          ui.composer.requestSubmit();
        }
      },
      oninput: () => this.#fitInput(),
    });
    ui.sendLabel = h("span", { class: "vh" });
    ui.composer = h(
      "form",
      { class: "composer", onsubmit: (event) => this.#submit(event) },
      ui.inputLabel,
      ui.input,
      h("button", { type: "submit", class: "send" }, icon("send"), ui.sendLabel),
    );

    ui.remember = h("input", {
      type: "checkbox",
      id: "wegwijs-remember",
      "aria-describedby": "wegwijs-remember-hint",
      onchange: () => {
        this.#state.remembered = ui.remember.checked;
        this.#state.rememberChosen = true; // the user's choice: the widget no longer decides
        this.#state.keptForTicket = false;
        this.#save();
      },
    });
    ui.remember.checked = this.#state.remembered;
    ui.rememberLabel = h("label", { for: "wegwijs-remember" });
    ui.rememberHint = h("p", { id: "wegwijs-remember-hint", class: "hint" });
    ui.restart = h("button", {
      type: "button",
      class: "restart",
      onclick: () => this.#restart(),
    });
    const options = h(
      "div",
      { class: "options" },
      h("div", { class: "remember" }, ui.remember, h("div", {}, ui.rememberLabel, ui.rememberHint)),
      ui.restart,
    );

    ui.panel = h(
      "div",
      {
        class: "panel",
        id: "wegwijs-panel",
        role: "dialog",
        "aria-labelledby": "wegwijs-title",
        hidden: true,
      },
      header,
      languages,
      ui.log,
      ui.typing,
      ui.composer,
      options,
    );
    // A staff answer that arrives while the panel is closed: a dot on the launcher (its name
    // says it too) and an announcement, since the conversation's own live region is hidden.
    ui.unreadLabel = h("span", { class: "vh" });
    ui.unread = h(
      "span",
      { class: "unread", hidden: true },
      h("span", { class: "dot", "aria-hidden": "true" }),
      ui.unreadLabel,
    );
    ui.launcher.append(ui.unread);
    ui.announcer = h("p", { class: "vh", role: "status" });

    // A landmark of its own, so screen reader users find the chat among the page's regions.
    ui.root = h("aside", { class: "root" }, ui.panel, ui.launcher, ui.announcer);
    ui.root.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !ui.panel.hidden) {
        event.stopPropagation();
        this.close();
      }
    });
    shadow.append(stylesheet, ui.root);
  }

  /** Every label in the widget's language; the language switch shows the current one. */
  #applyLanguage(language) {
    this.#language = language;
    const t = this.#texts[language];
    const ui = this.#ui;
    ui.root.lang = language;
    ui.root.setAttribute("aria-label", t.title);
    ui.launcherLabel.textContent = t.launcher;
    ui.title.textContent = t.title;
    ui.subtitle.textContent = t.subtitle;
    ui.closeLabel.textContent = t.close;
    ui.languageLabel.textContent = t.language;
    ui.languageButtons.forEach((button, index) => {
      const code = LANGUAGES[index];
      button.textContent = this.#texts[code].language_name;
      button.setAttribute("aria-pressed", String(code === language));
    });
    ui.log.setAttribute("aria-label", t.conversation);
    ui.inputLabel.textContent = t.input_label;
    ui.input.placeholder = t.placeholder;
    ui.sendLabel.textContent = t.send;
    ui.rememberLabel.textContent = t.remember;
    ui.rememberHint.textContent = t.remember_hint;
    ui.restart.textContent = t.new_conversation;
    ui.unreadLabel.textContent = ` ${t.staff_answer_arrived}`;
    if (this.#pending) ui.typingText.textContent = t.typing;
  }

  #submit(event) {
    event.preventDefault();
    const text = this.#ui.input.value.trim();
    if (!text) return;
    this.#ui.input.value = "";
    this.#fitInput();
    const echo = this.#remember({ text, sender: "user", language: null });
    this.#enqueue(async () => {
      const token = await this.#ensureConversation();
      const data = await this.#gateway.send(token, { text });
      echo.language = data.language; // the language the gateway heard
      echo.element.lang = data.language;
      this.#receive(data);
    });
  }

  #press(button, language) {
    const said = this.#languageNamed(button.title) ?? language;
    this.#remember({ text: button.title, sender: "user", language: said });
    this.#enqueue(async () => {
      const token = await this.#ensureConversation();
      this.#receive(await this.#gateway.send(token, { button: button.id }));
    });
  }

  #chooseLanguage(language) {
    this.#applyLanguage(language); // the labels follow at once; the bot confirms below
    this.#save();
    this.#enqueue(async () => {
      const token = await this.#ensureConversation();
      this.#receive(await this.#gateway.chooseLanguage(token, language));
    });
  }

  #restart() {
    this.#poller.stop();
    this.#store.clear();
    // Remembering because of a question for staff ends with that conversation.
    const { rememberChosen } = this.#state;
    const remembered = rememberChosen && this.#ui.remember.checked;
    this.#state = { ...emptyConversation(this.#language, remembered), rememberChosen };
    this.#ui.remember.checked = remembered;
    this.#setUnread(false);
    this.#ui.log.replaceChildren();
    this.#enqueue(() => this.#ensureConversation());
    this.#ui.input.focus();
  }

  async #ensureConversation() {
    if (!this.#state.token) {
      const data = await this.#gateway.start();
      this.#state.token = data.conversation;
      this.#receive(data);
    }
    return this.#state.token;
  }

  /** A reply from the gateway: its messages, and the conversation's language for the labels. */
  #receive(data) {
    if (data.language !== this.#language) this.#applyLanguage(data.language);
    const added = data.messages.map((message) => this.#remember(message, { scroll: false }));
    if (added.length) this.#reveal(added[0].element);
    this.#noteTickets(data.open_tickets);
    this.#save();
  }

  /** Messages from the updates endpoint (a staff answer, its follow-up), in their order. */
  #showUpdates(data) {
    this.#state.cursor = Math.max(this.#state.cursor, data.cursor);
    const added = data.messages.map((message) => this.#remember(message, { scroll: false }));
    if (added.length) {
      const log = this.#ui.log;
      log.scrollTop = Math.min(added[0].element.offsetTop - 12, log.scrollHeight);
      if (this.#ui.panel.hidden && added.some((message) => message.sender === "staff")) {
        this.#setUnread(true);
      }
    }
    this.#noteTickets(data.open_tickets);
    this.#save();
  }

  /**
   * The conversation's open questions for staff. While there is one, the answer must be able
   * to come back after the tab is closed: the conversation moves to localStorage (the user is
   * told, and may untick "remember"), and the widget asks for updates. When the last one is
   * closed, a conversation the widget (not the user) chose to remember goes back to the tab.
   */
  #noteTickets(count) {
    if (!Number.isSafeInteger(count)) return; // unknown this time (the gateway said null)
    this.#state.openTickets = count;
    const state = this.#state;
    if (count > 0 && !state.remembered && !state.rememberChosen) {
      state.remembered = true;
      state.keptForTicket = true;
      this.#ui.remember.checked = true;
      const t = this.#texts[this.#language];
      this.#remember({ text: t.kept_for_answer, sender: "system", language: this.#language });
    } else if (count === 0 && state.keptForTicket && !state.rememberChosen) {
      state.remembered = false;
      state.keptForTicket = false;
      this.#ui.remember.checked = false;
    }
    this.#save();
    if (count > 0) this.#poller.check();
  }

  #setUnread(unread) {
    this.#ui.unread.hidden = !unread;
    this.#ui.announcer.textContent = unread ? this.#texts[this.#language].staff_answer_arrived : "";
  }

  /** Shows a message and keeps it in the transcript; returns the stored message. */
  #remember(message, { scroll = true } = {}) {
    const kept = {
      text: String(message.text ?? ""),
      sender: message.sender ?? "bot",
      language: message.language ?? null,
      buttons: message.buttons ?? [],
    };
    this.#state.messages.push(kept);
    Object.defineProperty(kept, "element", {
      value: this.#appendMessage(kept),
      enumerable: false,
    });
    if (scroll) this.#ui.log.scrollTop = this.#ui.log.scrollHeight;
    this.#save();
    return kept;
  }

  #appendMessage(message, { error = false } = {}) {
    const sender = ["user", "system", "staff"].includes(message.sender) ? message.sender : "bot";
    const t = this.#texts[this.#language];
    const senderLabel = t[`sender_${sender}`] ?? t.sender_bot;
    // A municipal employee's answer says so visibly; the others' senders are for screen readers.
    const from =
      sender === "staff"
        ? h("p", { class: "from", lang: this.#language }, icon("person"), h("span", { text: senderLabel }))
        : h("span", { class: "vh", lang: this.#language, text: `${senderLabel} ` });
    const bubble = h(
      "div",
      { class: "bubble" },
      from,
      renderText(message.text, { text: t.new_tab, language: this.#language }),
    );
    const item = h(
      "div",
      { class: `message ${sender}${error ? " error" : ""}`, lang: message.language },
      bubble,
    );
    if (message.buttons?.length) {
      item.append(
        h(
          "div",
          { class: "choices" },
          ...message.buttons.map((button) =>
            h("button", {
              type: "button",
              class: "choice",
              lang: this.#languageNamed(button.title),
              text: button.title,
              onclick: () => this.#press(button, message.language),
            }),
          ),
        ),
      );
    }
    this.#ui.log.append(item);
    return item;
  }

  /** "Українська" on a language button is Ukrainian whatever the message's language. */
  #languageNamed(title) {
    return LANGUAGES.find((code) => this.#texts[code].language_name === title) ?? null;
  }

  /** Scrolls the question and the start of its answer into view (answers are read from the top). */
  #reveal(element) {
    const log = this.#ui.log;
    const question = element.previousElementSibling;
    const anchor = question?.classList.contains("user") ? question : element;
    log.scrollTop = Math.min(anchor.offsetTop - 12, log.scrollHeight);
  }

  #showError(error) {
    const t = this.#texts[this.#language];
    const fromGateway = error instanceof GatewayError && error.fromGateway;
    if (!(error instanceof GatewayError)) console.error("Wegwijs:", error);
    const message = {
      text: fromGateway ? error.message : error?.code === "network" ? t.error_network : t.error_unknown,
      sender: "system",
      language: (fromGateway && supportedLanguage(error.language)) || this.#language,
    };
    this.#appendMessage(message, { error: true });
    this.#ui.log.scrollTop = this.#ui.log.scrollHeight;
  }

  /** Requests run one after another, so replies arrive in the order the user asked. */
  #enqueue(task) {
    this.#queue = this.#queue.then(async () => {
      this.#setBusy(true);
      try {
        await task();
      } catch (error) {
        this.#showError(error);
      } finally {
        this.#setBusy(false);
      }
    });
    return this.#queue;
  }

  #setBusy(busy) {
    this.#pending += busy ? 1 : -1;
    const active = this.#pending > 0;
    this.#ui.typing.classList.toggle("active", active);
    this.#ui.typingText.textContent = active ? this.#texts[this.#language].typing : "";
  }

  #save() {
    const state = this.#state;
    this.#store.save({
      token: state.token,
      language: this.#language,
      messages: state.messages,
      remembered: state.remembered,
      cursor: state.cursor,
      openTickets: state.openTickets,
      keptForTicket: state.keptForTicket,
      rememberChosen: state.rememberChosen,
    });
  }

  /** Grows the input with its text, up to the height the stylesheet allows (then it scrolls). */
  #fitInput() {
    const input = this.#ui.input;
    input.style.height = "auto";
    input.style.height = `${input.scrollHeight + 2}px`;
  }
}

/** Reads the configuration, loads the labels from the gateway and adds the widget to the page. */
export async function mount(config) {
  if (document.readyState === "loading") {
    await new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true }));
  }
  if (!customElements.get("wegwijs-widget")) customElements.define("wegwijs-widget", WegwijsWidget);
  if (document.querySelector("wegwijs-widget")) return; // embedded twice
  const pageLanguage =
    supportedLanguage(config.lang) ?? supportedLanguage(document.documentElement.lang) ?? "nl";
  const gateway = new Gateway(config.server, pageLanguage);
  const texts = await gateway.texts();
  const { colour, adjusted, ratio } = accessibleColour(config.color);
  if (adjusted) {
    console.warn(`Wegwijs: data-color "${config.color}" is not readable enough; using ${colour} (contrast ${ratio}:1).`);
  }
  const widget = document.createElement("wegwijs-widget");
  widget.setup({
    gateway,
    texts,
    store: new ConversationStore(config.server),
    pageLanguage,
    colour,
  });
  document.body.append(widget);
}

// Where the conversation is kept. sessionStorage by default, so it ends with the browser tab
// (shared computers in shelters and libraries); localStorage only when the user ticks
// "remember this conversation on this device". Storage that is blocked falls back to memory.

const TOKEN = /^[A-Za-z0-9_-]{16,64}$/;
const MAX_MESSAGES = 80;

function storageArea(name) {
  try {
    const area = window[name];
    area.setItem("wegwijs:probe", "1");
    area.removeItem("wegwijs:probe");
    return area;
  } catch {
    return null;
  }
}

export class ConversationStore {
  constructor(server) {
    this.key = `wegwijs:conversation:${server}`;
    this.openKey = `wegwijs:open:${server}`;
    this.session = storageArea("sessionStorage");
    this.local = storageArea("localStorage");
    this.memory = null;
  }

  /** {token, language, messages, remembered}: the kept conversation, or an empty one. */
  load() {
    for (const [area, remembered] of [
      [this.local, true],
      [this.session, false],
    ]) {
      try {
        const data = JSON.parse(area?.getItem(this.key) ?? "null");
        if (data && TOKEN.test(data.token)) {
          const messages = Array.isArray(data.messages) ? data.messages : [];
          return { token: data.token, language: data.language ?? null, messages, remembered };
        }
      } catch {
        // unreadable: start afresh
      }
    }
    return this.memory ?? { token: null, language: null, messages: [], remembered: false };
  }

  save(state) {
    const kept = { ...state, messages: state.messages.slice(-MAX_MESSAGES) };
    this.memory = kept;
    const [keep, drop] = state.remembered ? [this.local, this.session] : [this.session, this.local];
    drop?.removeItem(this.key);
    try {
      keep?.setItem(this.key, JSON.stringify(kept));
    } catch {
      // full or blocked: the conversation lives on in memory until the page closes
    }
  }

  clear() {
    this.memory = null;
    this.session?.removeItem(this.key);
    this.local?.removeItem(this.key);
  }

  /** Whether the panel was open in this tab (so a reload or the next page keeps it open). */
  get open() {
    return this.session?.getItem(this.openKey) === "1";
  }

  set open(value) {
    if (value) this.session?.setItem(this.openKey, "1");
    else this.session?.removeItem(this.openKey);
  }
}

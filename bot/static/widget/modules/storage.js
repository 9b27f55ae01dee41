// Where the conversation is kept. sessionStorage by default, so it ends with the browser tab
// (shared computers in shelters and libraries); localStorage when the user ticks "remember
// this conversation on this device", and while a question for staff is open (so the answer
// can reach them after the tab is closed; the widget says so, and the user can untick it).
// Storage that is blocked falls back to memory.

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

export function emptyConversation(language = null, remembered = false) {
  return {
    token: null,
    language,
    messages: [],
    remembered,
    cursor: 0,
    openTickets: 0,
    keptForTicket: false,
    rememberChosen: false,
  };
}

export class ConversationStore {
  constructor(server) {
    this.key = `wegwijs:conversation:${server}`;
    this.openKey = `wegwijs:open:${server}`;
    this.session = storageArea("sessionStorage");
    this.local = storageArea("localStorage");
    this.memory = null;
  }

  /**
   * The kept conversation, or an empty one: {token, language, messages, remembered, cursor,
   * openTickets, keptForTicket, rememberChosen}. `cursor` is the last message from the updates
   * endpoint that was shown; `keptForTicket` says the widget (not the user) chose localStorage
   * because of an open question; `rememberChosen` that the user decided with the checkbox.
   */
  load() {
    for (const [area, remembered] of [
      [this.local, true],
      [this.session, false],
    ]) {
      try {
        const data = JSON.parse(area?.getItem(this.key) ?? "null");
        if (data && TOKEN.test(data.token)) {
          return {
            token: data.token,
            language: data.language ?? null,
            messages: Array.isArray(data.messages) ? data.messages : [],
            remembered,
            cursor: Number.isSafeInteger(data.cursor) && data.cursor > 0 ? data.cursor : 0,
            openTickets: Number.isSafeInteger(data.openTickets) ? data.openTickets : 0,
            keptForTicket: data.keptForTicket === true,
            rememberChosen: data.rememberChosen === true,
          };
        }
      } catch {
        // unreadable: start afresh
      }
    }
    return this.memory ?? emptyConversation();
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

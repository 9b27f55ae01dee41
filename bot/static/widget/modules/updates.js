// Messages that come outside a turn: a municipal employee's answer to the newcomer's question,
// and "did this solve your question?". The gateway keeps them until the widget confirms it has
// shown them (by sending the cursor back), so an answer that arrives while the page is closed
// is shown the next time the chat opens, and nothing is shown twice.
//
// The poller asks while the conversation has a question for staff (open_tickets > 0) and the
// page is visible: a long poll that the gateway holds until a message arrives (at most
// LONG_WAIT seconds). Failures are retried with growing waits; a hidden page stops asking.
import { GatewayError } from "./gateway.js";

export const LONG_WAIT = 25; // seconds: the gateway's maximum
const TIMEOUT_MARGIN = 15_000; // ms a long poll may take beyond its wait before it is dropped
const FIRST_RETRY = 2_000;
const MAX_RETRY = 60_000;

/** 2 s, 4 s, 8 s, ... up to a minute, with jitter so many widgets do not retry in step. */
export function retryDelay(failures) {
  const base = Math.min(MAX_RETRY, FIRST_RETRY * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

export class UpdatesPoller {
  #gateway;
  #conversation;
  #onUpdates;
  #current = null; // the running loop (a fresh object each start), null when stopped
  #controller = null;
  #sleeping = null;
  #failures = 0;

  /**
   * `conversation()` gives {token, cursor} now; `onUpdates(data)` shows what came and stores
   * the new cursor (the next request sends it back, which confirms the messages).
   */
  constructor({ gateway, conversation, onUpdates }) {
    this.#gateway = gateway;
    this.#conversation = conversation;
    this.#onUpdates = onUpdates;
  }

  get running() {
    return this.#current !== null;
  }

  /** Asks now (without waiting) and keeps asking while an answer may come. */
  check() {
    if (this.#current || !this.#conversation().token) return;
    if (document.visibilityState === "hidden") return;
    const loop = (this.#current = {});
    this.#loop(loop).finally(() => {
      if (this.#current === loop) this.#current = null;
    });
  }

  /** Stops asking (the page is hidden, or the conversation was replaced). */
  stop() {
    this.#current = null;
    this.#controller?.abort();
    this.#sleeping?.();
  }

  async #loop(loop) {
    let wait = 0; // the first request only collects what is waiting
    while (this.#current === loop) {
      const { token, cursor } = this.#conversation();
      if (!token) return;
      const controller = (this.#controller = new AbortController());
      const timer = setTimeout(() => controller.abort(), wait * 1000 + TIMEOUT_MARGIN);
      let data;
      try {
        data = await this.#gateway.updates(token, cursor, wait, controller.signal);
      } catch (error) {
        if (this.#current !== loop) return;
        if (!(error instanceof GatewayError) || !this.#retriable(error)) {
          if (!(error instanceof GatewayError)) console.error("Wegwijs:", error);
          return;
        }
        this.#failures += 1;
        await this.#sleep(retryDelay(this.#failures));
        continue;
      } finally {
        clearTimeout(timer);
      }
      if (this.#current !== loop || this.#conversation().token !== token) return;
      this.#failures = 0;
      this.#onUpdates(data);
      const more = data.open_tickets > 0;
      // Messages came: the next request confirms them, and waits only if more may come.
      if (!data.messages.length && !more) return;
      wait = more ? LONG_WAIT : 0;
    }
  }

  /** Network trouble, an overloaded or restarting gateway: try again. Not: a refusal. */
  #retriable(error) {
    if (["network", "aborted", "rate_limited", "assistant_unavailable"].includes(error.code)) {
      return true;
    }
    return /^http_5\d\d$/.test(error.code);
  }

  #sleep(ms) {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#sleeping = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#sleeping = done;
    });
  }
}

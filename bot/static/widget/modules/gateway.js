// The gateway's JSON API (README: "The web API"; interactive at /docs on the gateway).

/** An error from the gateway; `message` is in the user's language when the gateway gave one. */
export class GatewayError extends Error {
  constructor(message, { code, language = null }) {
    super(message || code);
    this.code = code;
    this.language = language;
    this.fromGateway = Boolean(message);
  }
}

const RETRY_AFTER_MS = 1000;

/** 128 random bits as hex (crypto.randomUUID needs a secure context; this does not). */
function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export class Gateway {
  constructor(server, pageLanguage) {
    this.server = server;
    this.pageLanguage = pageLanguage;
  }

  async request(method, path, body, { signal, idempotencyKey } = {}) {
    let response;
    try {
      response = await fetch(`${this.server}${path}`, {
        method,
        mode: "cors",
        credentials: "omit",
        headers: {
          Accept: "application/json",
          "Accept-Language": this.pageLanguage,
          ...(body ? { "Content-Type": "application/json" } : {}),
          ...(idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
        signal,
      });
    } catch {
      throw new GatewayError(null, { code: signal?.aborted ? "aborted" : "network" });
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = data?.error ?? {};
      throw new GatewayError(error.message, {
        code: error.code ?? `http_${response.status}`,
        language: error.language ?? null,
      });
    }
    return data;
  }

  texts() {
    return this.request("GET", "/api/widget/texts");
  }

  start() {
    return this.request("POST", "/api/conversations", { language: this.pageLanguage });
  }

  /**
   * A message (text or button). It carries an Idempotency-Key, and a lost connection is
   * retried once with the same key: the gateway answers a message once, however often it
   * arrives (bot/idempotency.py).
   */
  async send(token, message) {
    const path = `/api/conversations/${encodeURIComponent(token)}/messages`;
    const body = { ...message, language: this.pageLanguage };
    const idempotencyKey = newKey();
    try {
      return await this.request("POST", path, body, { idempotencyKey });
    } catch (error) {
      if (!(error instanceof GatewayError) || error.code !== "network") throw error;
      await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_MS));
      return this.request("POST", path, body, { idempotencyKey });
    }
  }

  /**
   * Messages outside a turn (a municipal employee's answer) after `after`, waiting up to
   * `wait` seconds for one. Sending the cursor back confirms the messages up to it were shown.
   */
  updates(token, after, wait, signal) {
    const query = new URLSearchParams({ after: String(after), wait: String(wait) });
    return this.request(
      "GET",
      `/api/conversations/${encodeURIComponent(token)}/updates?${query}`,
      undefined,
      { signal },
    );
  }

  chooseLanguage(token, language) {
    return this.request("POST", `/api/conversations/${encodeURIComponent(token)}/language`, {
      language,
    });
  }
}

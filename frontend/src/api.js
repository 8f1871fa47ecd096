// The session API of interfaces.md section 4, against one Livepost server (same origin by default,
// or the runner's `server` attribute when the component is embedded on another site).
import { readEvents } from './sse.js';

/** An API error: a JSON error body before any stream, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export class Api {
  /** @param {string} server base URL, '' for the page's own origin */
  constructor(server) {
    this.base = (server || '').replace(/\/+$/, '');
  }

  /** An absolute URL for a server path (also for the file URLs of `file` events). */
  url(path) {
    return new URL(this.base + path, this.base ? undefined : document.baseURI).href;
  }

  /** POST /api/sessions -> {session, expiresAt}. */
  async createSession(artifact) {
    const res = await this.fetch('/api/sessions', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ artifact }),
    });
    return res.json();
  }

  /**
   * Starts a run and streams its events to onEvent until the stream ends.
   * @param {string} session token
   * @param {object} body {code} or {prompt}
   * @param {AbortSignal} signal
   * @param {string} [path] where to POST the run instead of the session's runs (a chat artifact's)
   */
  async run(session, body, onEvent, signal, path) {
    const res = await this.fetch(path || `/api/sessions/${encodeURIComponent(session)}/runs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify(body),
      signal,
      cache: 'no-store',
    });
    if (!res.body) {
      throw new ApiError(0, 'no_stream', 'The server sent no event stream.');
    }
    await readEvents(res.body, ({ event, data }) => {
      let parsed;
      try {
        parsed = JSON.parse(data);
      } catch {
        parsed = { text: data };
      }
      onEvent(event, parsed);
    });
  }

  /** POST interrupt: the running code gets KeyboardInterrupt; the session stays. */
  async interrupt(session) {
    // JSON like every state-changing call: the server refuses other types (CSRF).
    await this.fetch(`/api/sessions/${encodeURIComponent(session)}/interrupt`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
  }

  /** POST stdin: {text} for the code waiting on standard input, or {eof: true} to end it. */
  async stdin(session, body) {
    await this.fetch(`/api/sessions/${encodeURIComponent(session)}/stdin`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  /** DELETE the session and all its state. */
  async deleteSession(session, { keepalive = false } = {}) {
    await this.fetch(`/api/sessions/${encodeURIComponent(session)}`, { method: 'DELETE', keepalive });
  }

  async fetch(path, init) {
    let res;
    try {
      res = await fetch(this.url(path), { mode: 'cors', credentials: 'omit', ...init });
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
      throw new ApiError(0, 'network_error', 'Could not reach the server: ' + (e && e.message ? e.message : e));
    }
    if (res.ok) {
      return res;
    }
    let code = 'http_' + res.status;
    let message = `The server answered ${res.status} ${res.statusText || ''}`.trim() + '.';
    try {
      const body = await res.json();
      if (body && body.error) {
        code = body.error.code || code;
        message = body.error.message || message;
      }
    } catch {
      // not JSON: keep the generic message
    }
    const err = new ApiError(res.status, code, message);
    err.retryAfter = res.headers.get('Retry-After');
    throw err;
  }
}

// A Server-Sent Events parser for a fetch() response body (EventSource cannot POST).
// Follows the WHATWG event-stream rules that matter here: lines end with \n, \r\n or \r (a chunk
// may end between \r and \n, or anywhere inside a line or a multi-byte character); lines starting
// with ':' are comments (heartbeats); an empty line dispatches the event; several data lines are
// joined with \n.

/** Feeds text chunks in, calls onEvent({event, data}) for each complete event. */
export class SseParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = '';
    this.skipLf = false;
    this.reset();
  }

  reset() {
    this.event = '';
    this.data = [];
  }

  push(chunk) {
    let text = chunk;
    if (this.skipLf && text.startsWith('\n')) {
      text = text.slice(1);
    }
    this.skipLf = false;
    this.buffer += text;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') {
        continue;
      }
      this.line(this.buffer.slice(start, i));
      if (c === '\r') {
        if (i + 1 === this.buffer.length) {
          this.skipLf = true; // the \n of a \r\n may come with the next chunk
        } else if (this.buffer[i + 1] === '\n') {
          i++;
        }
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  line(line) {
    if (line === '') {
      if (this.data.length > 0) {
        this.onEvent({ event: this.event || 'message', data: this.data.join('\n') });
      }
      this.reset();
      return;
    }
    if (line.startsWith(':')) {
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    if (field === 'event') {
      this.event = value;
    } else if (field === 'data') {
      this.data.push(value);
    }
  }
}

/**
 * Reads a fetch Response body as SSE, calling onEvent for each event. Resolves when the stream
 * ends; rejects on a network failure (or an abort).
 */
export async function readEvents(body, onEvent) {
  const parser = new SseParser(onEvent);
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      return; // an event without its closing blank line is dropped, as EventSource does
    }
    parser.push(value);
  }
}

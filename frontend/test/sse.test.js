import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser, readEvents } from '../src/sse.js';

const STREAM =
  ': keep-alive\n\n' +
  'event: run\ndata: {"runId":"r1","session":"s","executor":"local"}\n\n' +
  'event: stdout\r\ndata: {"text":"héllo ✓\\n"}\r\n\r\n' +
  ': keep-alive\r\r' +
  'event: stderr\rdata: {"text":"oops"}\r\r' +
  'data: first\ndata: second\n\n' +
  'event: done\ndata:{"status":"ok","exitCode":0,"durationMs":12}\n\n';

const EXPECTED = [
  { event: 'run', data: '{"runId":"r1","session":"s","executor":"local"}' },
  { event: 'stdout', data: '{"text":"héllo ✓\\n"}' },
  { event: 'stderr', data: '{"text":"oops"}' },
  { event: 'message', data: 'first\nsecond' },
  { event: 'done', data: '{"status":"ok","exitCode":0,"durationMs":12}' },
];

function parse(chunks) {
  const events = [];
  const parser = new SseParser((e) => events.push(e));
  for (const c of chunks) parser.push(c);
  return events;
}

test('parses a whole stream: comments skipped, CRLF/CR/LF line ends, multi-line data', () => {
  assert.deepEqual(parse([STREAM]), EXPECTED);
});

test('the same events whatever two chunks the stream is split into', () => {
  for (let i = 0; i <= STREAM.length; i++) {
    assert.deepEqual(parse([STREAM.slice(0, i), STREAM.slice(i)]), EXPECTED, `split at ${i}`);
  }
});

test('the same events one character at a time', () => {
  assert.deepEqual(parse([...STREAM]), EXPECTED);
});

test('an event without its closing blank line is not dispatched', () => {
  assert.deepEqual(parse(['event: stdout\ndata: {"text":"x"}\n']), []);
});

// 'é' is bytes 111-112 and '✓' 117-119 of the stream.
test('readEvents decodes UTF-8 split inside a character across network chunks', async () => {
  const bytes = new TextEncoder().encode(STREAM);
  for (const at of [1, 60, 111, 112, 113, 118, 119]) {
    const body = new ReadableStream({
      start(c) {
        c.enqueue(bytes.slice(0, at));
        c.enqueue(bytes.slice(at));
        c.close();
      },
    });
    const events = [];
    await readEvents(body, (e) => events.push(e));
    assert.deepEqual(events, EXPECTED, `split at byte ${at}`);
  }
});

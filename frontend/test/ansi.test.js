import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnsiState } from '../src/ansi.js';

const plain = (segments) => segments.map((s) => s.text).join('');

test('SGR colours become classes, reset clears them', () => {
  const a = new AnsiState();
  assert.deepEqual(
    a.segments('ok \x1b[1;31mfail\x1b[0m done').map((s) => [s.text, s.className]),
    [['ok ', ''], ['fail', 'lp-ansi-bold lp-ansi-fg1'], [' done', '']],
  );
});

test('other escapes are dropped, text (including markup) is kept verbatim', () => {
  const a = new AnsiState();
  assert.equal(plain(a.segments('\x1b[2K\x1b[1A\x1b]0;title\x07<b>x</b>\x1b[?25l')), '<b>x</b>');
});

test('an escape split across chunks is completed by the next chunk', () => {
  const a = new AnsiState();
  assert.equal(plain(a.segments('red: \x1b[3')), 'red: ');
  const rest = a.segments('1mR\x1b[0m');
  assert.deepEqual(rest.map((s) => [s.text, s.className]), [['R', 'lp-ansi-fg1']]);
});

test('256 and true colours become inline rgb() styles with clamped numbers', () => {
  const a = new AnsiState();
  const [s1] = a.segments('\x1b[38;5;196mx');
  assert.equal(s1.style.color, 'rgb(255, 0, 0)');
  const [s2] = a.segments('\x1b[0;48;2;999;10;20my');
  assert.equal(s2.style.backgroundColor, 'rgb(255, 10, 20)');
});

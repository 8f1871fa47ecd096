import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromBase64Url, hashCode, toBase64Url } from '../src/edits.js';

test('link code survives base64url for any text, without +, / or =', () => {
  for (const code of ['', 'print(1)', 'é ✓ 😀\n\ttab', '>?>?>?', 'x'.repeat(100_000)]) {
    const encoded = toBase64Url(code);
    assert.match(encoded, /^[A-Za-z0-9_-]*$/);
    assert.equal(fromBase64Url(encoded), code);
  }
});

test('a mangled link is refused, not decoded into garbage', () => {
  assert.throws(() => fromBase64Url('__8'));
});

test('the hash of the author code tells versions apart', () => {
  assert.equal(hashCode('print(1)'), hashCode('print(1)'));
  assert.notEqual(hashCode('print(1)'), hashCode('print(2)'));
  assert.notEqual(hashCode(''), hashCode('\n'));
});

// Role: the page's pure rules, run in node without a browser: the WebSocket frame header size (RFC 6455
// section 5.2, the cases of crates/contract/src/rfc6455.rs), the handshake's accept key and the page's own
// SHA-1 (web/handshake.js), that every transport listed in web/clients/transports.js is complete (route,
// labels in both languages, colour) and in the expected order, and that every string has both languages.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from './lib/server.mjs';
import { frameHeaderBytes } from '../../web/clients/ws.js';
import { NAMES, BEST_FIRST, clientOf } from '../../web/clients/transports.js';
import { acceptSteps, sha1Fallback, RFC_EXAMPLE } from '../../web/handshake.js';
import crypto from 'node:crypto';

const WEB = path.join(REPO, 'web');

test('a WebSocket frame header is 2, 4 or 10 bytes, plus 4 of masking key', () => {
  assert.equal(frameHeaderBytes(0, false), 2);
  assert.equal(frameHeaderBytes(125, false), 2);
  assert.equal(frameHeaderBytes(126, false), 4);
  assert.equal(frameHeaderBytes(65_535, false), 4);
  assert.equal(frameHeaderBytes(65_536, false), 10);
  assert.equal(frameHeaderBytes(5, true), 6);
  assert.equal(frameHeaderBytes(1000, true), 8);
  assert.equal(frameHeaderBytes(70_000, true), 14);
});

test('the four transports, in page order and best first, each with its route', () => {
  assert.deepEqual(NAMES, ['poll', 'longpoll', 'sse', 'ws']);
  assert.deepEqual(BEST_FIRST.map((C) => C.transport), ['ws', 'sse', 'longpoll', 'poll']);
  for (const name of NAMES) assert.equal(clientOf(name).route, `/${name}`);
  assert.throws(() => clientOf('carrier-pigeon'), /unknown transport carrier-pigeon/);
});

test('every transport has its labels in both languages and its colour', () => {
  const i18n = fs.readFileSync(path.join(WEB, 'i18n.js'), 'utf8');
  const css = fs.readFileSync(path.join(WEB, 'style.css'), 'utf8');
  for (const name of [...NAMES, 'auto']) {
    for (const key of [`name.${name}`, `short.${name}`, `api.${name}`]) {
      assert.equal(i18n.split(`'${key}':`).length - 1, 2, `${key} in en and zh`);
    }
    assert.match(css, new RegExp(`\\[data-kind="${name}"\\] \\{ --accent: var\\(--${name}\\); \\}`), `colour of ${name}`);
    assert.match(css, new RegExp(`--${name}: #[0-9a-f]{6};`), `--${name}`);
  }
});

test("the accept key of RFC 6455's example is the documents' value", async () => {
  const steps = await acceptSteps(RFC_EXAMPLE.key);
  assert.equal(steps.accept, 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  assert.equal(steps.sha1, crypto.createHash('sha1').update(steps.joined).digest('hex'));
});

test("the page's own SHA-1 (for http pages, which have no crypto.subtle) matches node's", () => {
  // Lengths around the 64-byte block and its 8-byte length field, where padding goes wrong first.
  for (const n of [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000]) {
    const bytes = crypto.randomBytes(n);
    const expected = crypto.createHash('sha1').update(bytes).digest('hex');
    assert.equal(Buffer.from(sha1Fallback(new Uint8Array(bytes))).toString('hex'), expected, `${n} bytes`);
  }
});

test('every string of the page has both languages', () => {
  const i18n = fs.readFileSync(path.join(WEB, 'i18n.js'), 'utf8');
  const [en, zh] = i18n.split(/^  zh: \{$/m);
  const keys = (text) => [...text.matchAll(/^    '([^']+)':/gm)].map((m) => m[1]).sort();
  assert.ok(keys(en).length > 50, 'the English table was found');
  assert.deepEqual(keys(zh), keys(en));
});

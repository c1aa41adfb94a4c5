// Role: keep the harness's "browser" header profile honest. Runs the capture against the installed
// Chromium (into a temp file, so the committed fixture only changes when someone re-captures on purpose)
// and checks the committed fixture has the shape the harness reads.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEFAULT_OUT } from './capture-fetch-headers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

function checkShape(f) {
  assert.match(f.chromium_version, /^\d+\.\d+\.\d+\.\d+$/);
  assert.match(f.captured, /^\d{4}-\d{2}-\d{2}$/);
  assert.match(f.request, /^GET \/poll\?after=0 HTTP\/1\.1\r\n/);
  assert.ok(f.request.endsWith('\r\n\r\n'), 'head ends with the blank line');
  assert.ok(Array.isArray(f.headers) && f.headers.length > 3);
  // The pairs are exactly the head's lines, in wire order: nothing dropped, nothing added.
  const lines = f.request.slice(0, -4).split('\r\n').slice(1);
  assert.deepEqual(f.headers.map(([n, v]) => `${n}: ${v}`), lines);
  const names = f.headers.map(([n]) => n.toLowerCase());
  assert.equal(names[0], 'host');
  for (const n of ['user-agent', 'accept', 'sec-fetch-mode', 'sec-fetch-site', 'referer']) {
    assert.ok(names.includes(n), `a browser fetch sends ${n}`);
  }
}

test('capture-fetch-headers records a same-origin fetch head from the installed Chromium', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'feedlab-capture-')), 'chromium-fetch.json');
  execFileSync(process.execPath, [path.join(HERE, 'capture-fetch-headers.mjs'), '--out', out], { stdio: 'pipe' });
  const f = JSON.parse(fs.readFileSync(out, 'utf8'));
  checkShape(f);
  assert.equal(f.headers.find(([n]) => n === 'Sec-Fetch-Site')?.[1], 'same-origin');
});

test('the committed fixture has the shape the harness replays', () => {
  checkShape(JSON.parse(fs.readFileSync(DEFAULT_OUT, 'utf8')));
});

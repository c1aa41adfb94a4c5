// Role: promises about web/ that can be checked by reading the files, no browser needed: feed text is
// never parsed as HTML, nothing is loaded from another site (the classroom may be offline), and every
// module says what it is for.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from './lib/server.mjs';

const WEB = path.join(REPO, 'web');

function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? files(path.join(dir, d.name)) : [path.join(dir, d.name)],
  );
}

/** Code without // line comments and /* block comments *\/, so prose about innerHTML does not count. */
function code(file) {
  return fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

const all = files(WEB);
const scripts = all.filter((f) => f.endsWith('.js'));

test('no HTML parsing sinks anywhere in the page scripts', () => {
  for (const f of scripts) {
    assert.doesNotMatch(code(f), /\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|new Function|\beval\(/, f);
  }
});

test('nothing is loaded from another origin (no CDN, no external fonts)', () => {
  for (const f of all.filter((f) => /\.(html|css|js|svg)$/.test(f))) {
    const text = f.endsWith('.js') ? code(f) : fs.readFileSync(f, 'utf8').replace(/<!--[\s\S]*?-->/g, '');
    const external = text.match(/(?:src|href|url\(|@import|from)\s*=?\s*["']?(?:https?:)?\/\/[^"')\s]+/g) || [];
    // The SVG namespace is an identifier, not a request.
    assert.deepEqual(external.filter((u) => !u.includes('www.w3.org/2000/svg')), [], f);
  }
});

test('every module opens with a comment saying its role; one client module per server route', () => {
  for (const f of scripts) assert.match(fs.readFileSync(f, 'utf8'), /^\/\/ Role: /, f);
  for (const name of ['poll', 'longpoll', 'sse', 'ws', 'auto']) {
    assert.ok(fs.existsSync(path.join(WEB, 'clients', `${name}.js`)), `web/clients/${name}.js`);
  }
});

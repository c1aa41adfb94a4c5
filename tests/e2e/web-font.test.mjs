// Role: the page's Chinese font, checked without a browser. The font of style.css's @font-face for
// "Feedlab CJK" (written by scripts/subset-cjk-font.py) must have a glyph for every character of the page
// in that rule's unicode-range, read from the committed font's own character map: a string added without
// re-running the script fails here. Read as the script reads them: the rule from style.css, the page's
// characters from web/'s .html, .js and .css files and from the report's text catalogue
// (crates/report/texts.toml), whose titles and verdicts the charts tab shows in the page's language.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from './lib/server.mjs';
import { woff2Tables, cmapCodePoints, glyphCount } from './lib/woff2.mjs';

const WEB = path.join(REPO, 'web');
const CATALOGUE = path.join(REPO, 'crates/report/texts.toml');
// The transports' Chinese labels, which the charts tab shows with the report's verdicts.
const TRANSPORTS = path.join(REPO, 'crates/contract/src/transport.rs');
const RERUN = 're-run scripts/subset-cjk-font.py (see its --help) and commit web/fonts/';

/** The @font-face rule of the page's CJK font: its file and the code point ranges it draws. */
function fontFace() {
  const css = fs.readFileSync(path.join(WEB, 'style.css'), 'utf8');
  const rule = /@font-face\s*\{[^}]*font-family:\s*"Feedlab CJK";[^}]*\}/.exec(css)?.[0];
  assert.ok(rule, 'style.css declares the "Feedlab CJK" font');
  const src = /src:\s*url\("([^"]+)"\) format\("woff2"\);/.exec(rule)[1];
  const ranges = /unicode-range:\s*([^;]+);/
    .exec(rule)[1]
    .split(',')
    .map((part) => {
      const [, low, high] = /^\s*U\+([0-9A-Fa-f]+)(?:-([0-9A-Fa-f]+))?\s*$/.exec(part);
      return [parseInt(low, 16), parseInt(high ?? low, 16)];
    });
  return { file: path.join(WEB, src), ranges };
}

/** Every character of `file` within `ranges` -> the first file using it, added to `found`. */
function fileCharacters(file, ranges, found) {
  for (const char of fs.readFileSync(file, 'utf8')) {
    const c = char.codePointAt(0);
    if (ranges.some(([low, high]) => low <= c && c <= high) && !found.has(char)) found.set(char, path.relative(REPO, file));
  }
}

/** Every character of the page's text files (web/, then the report's catalogue and the transports' labels) within `ranges`. */
function pageCharacters(ranges, dir = WEB, found = new Map()) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) pageCharacters(ranges, file, found);
    else if (/\.(html|js|css)$/.test(entry.name)) fileCharacters(file, ranges, found);
  }
  if (dir === WEB) {
    fileCharacters(CATALOGUE, ranges, found);
    fileCharacters(TRANSPORTS, ranges, found);
  }
  return found;
}

const { file: FONT, ranges } = fontFace();
const tables = woff2Tables(fs.readFileSync(FONT));

test("every character of the page's strings has a glyph in the committed CJK font", () => {
  const inFont = cmapCodePoints(tables);
  const chars = pageCharacters(ranges);
  assert.ok(chars.has('中') && chars.has('轮'), 'the page has Chinese text to check');
  assert.equal(chars.get('涓'), 'crates/report/texts.toml', "the report's Chinese is checked too");
  const missing = [...chars]
    .filter(([char]) => !inFont.has(char.codePointAt(0)))
    .map(([char, file]) => `${char} U+${char.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')} (${file})`);
  assert.deepEqual(missing, [], `not in ${path.relative(REPO, FONT)}: ${RERUN}`);
});

test('the font is a small subset, in the page and licensed beside it', () => {
  // Little more than the page's characters (and .notdef): strings removed since the last run leave a few.
  const chars = pageCharacters(ranges).size;
  assert.ok(glyphCount(tables) <= chars * 1.5 + 1, `${glyphCount(tables)} glyphs for ${chars} characters: ${RERUN}`);
  assert.ok(fs.statSync(FONT).size < 200_000, `${fs.statSync(FONT).size} bytes`);
  assert.ok(FONT.startsWith(WEB + path.sep), `${FONT} is in web/, so the binary serves it`);
  const license = fs.readFileSync(path.join(path.dirname(FONT), 'OFL.txt'), 'utf8');
  assert.match(license, /SIL OPEN FONT LICENSE Version 1\.1/);
  assert.match(license, /© 2014-2021 Adobe/);
});

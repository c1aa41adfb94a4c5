// Role: read a WOFF2 font's character map (which code points it has a glyph for) and glyph count, with
// nothing but node: the tables are one brotli stream (node's zlib), cmap and maxp are stored untransformed.
// Just enough of the W3C WOFF2 format (section 5) and OpenType's cmap (formats 4 and 12) and maxp.
import zlib from 'node:zlib';

/** The table tags of WOFF2's known-tags list, by their 6-bit index (WOFF2 section 5.1, table 2). */
const KNOWN_TAGS = (
  'cmap head hhea hmtx maxp name OS/2 post cvt_ fpgm glyf loca prep CFF_ VORG EBDT EBLC gasp hdmx kern LTSH ' +
  'PCLT VDMX vhea vmtx BASE GDEF GPOS GSUB EBSC JSTF MATH CBDT CBLC COLR CPAL SVG_ sbix acnt avar bdat bloc ' +
  'bsln cvar fdsc feat fmtx fvar gvar hsty just lcar mort morx opbd prop trak Zapf Silf Glat Gloc Feat Sill'
)
  .split(' ')
  .map((tag) => tag.replace('_', ' '));

/** Reads a UIntBase128 (WOFF2 section 4.1) at `at.pos`, moving it on. */
function base128(view, at) {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    const byte = view.getUint8(at.pos++);
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) return value;
  }
  throw new Error('bad UIntBase128');
}

/** The font's tables, decompressed: Map tag -> DataView. Transformed tables (glyf, loca, hmtx) stay as stored. */
export function woff2Tables(buffer) {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (view.getUint32(0) !== 0x774f4632) throw new Error('not a WOFF2 file (no wOF2 signature)');
  const numTables = view.getUint16(12);
  const compressedLength = view.getUint32(20);
  const at = { pos: 48 };
  const directory = [];
  for (let i = 0; i < numTables; i++) {
    const flags = view.getUint8(at.pos++);
    let tag = KNOWN_TAGS[flags & 0x3f];
    if ((flags & 0x3f) === 63) {
      tag = String.fromCharCode(...buffer.subarray(at.pos, at.pos + 4));
      at.pos += 4;
    }
    const version = flags >> 6;
    const origLength = base128(view, at);
    // glyf and loca are transformed unless version 3; every other table only when its version is not 0.
    const transformed = tag === 'glyf' || tag === 'loca' ? version !== 3 : version !== 0;
    const length = transformed ? base128(view, at) : origLength;
    directory.push({ tag, length });
  }
  const data = zlib.brotliDecompressSync(buffer.subarray(at.pos, at.pos + compressedLength));
  const tables = new Map();
  let offset = 0;
  for (const { tag, length } of directory) {
    tables.set(tag, new DataView(data.buffer, data.byteOffset + offset, length));
    offset += length;
  }
  return tables;
}

/** Code points the font maps to a glyph (not .notdef), from its Unicode cmap subtable (format 12 or 4). */
export function cmapCodePoints(tables) {
  const cmap = tables.get('cmap');
  if (!cmap) throw new Error('no cmap table');
  const subtables = [];
  for (let i = 0; i < cmap.getUint16(2); i++) {
    const record = 4 + i * 8;
    subtables.push({ platform: cmap.getUint16(record), encoding: cmap.getUint16(record + 2), offset: cmap.getUint32(record + 4) });
  }
  const pick = (platform, encoding, format) =>
    subtables.find((s) => s.platform === platform && s.encoding === encoding && cmap.getUint16(s.offset) === format);
  const points = new Set();
  const full = pick(3, 10, 12) || pick(0, 4, 12);
  if (full) {
    const groups = cmap.getUint32(full.offset + 12);
    for (let g = 0; g < groups; g++) {
      const at = full.offset + 16 + g * 12;
      const [first, last, glyph] = [cmap.getUint32(at), cmap.getUint32(at + 4), cmap.getUint32(at + 8)];
      for (let c = first; c <= last; c++) if (glyph + (c - first) !== 0) points.add(c);
    }
    return points;
  }
  const bmp = pick(3, 1, 4) || pick(0, 3, 4);
  if (!bmp) throw new Error('no Unicode cmap subtable of format 4 or 12');
  const base = bmp.offset;
  const segments = cmap.getUint16(base + 6) / 2;
  const ends = base + 14;
  const starts = ends + segments * 2 + 2;
  const deltas = starts + segments * 2;
  const rangeOffsets = deltas + segments * 2;
  for (let s = 0; s < segments; s++) {
    const [end, start] = [cmap.getUint16(ends + s * 2), cmap.getUint16(starts + s * 2)];
    const delta = cmap.getInt16(deltas + s * 2);
    const rangeOffset = cmap.getUint16(rangeOffsets + s * 2);
    for (let c = start; c <= end && c !== 0xffff; c++) {
      const glyph = rangeOffset
        ? cmap.getUint16(rangeOffsets + s * 2 + rangeOffset + (c - start) * 2)
        : (c + delta) & 0xffff;
      if (glyph !== 0) points.add(c);
    }
  }
  return points;
}

/** How many glyphs the font has (maxp.numGlyphs), .notdef included. */
export function glyphCount(tables) {
  return tables.get('maxp').getUint16(4);
}

// Role: the page's WebSocket frame decoding (web/frame.js), run in node without a browser, on the frames of
// RFC 6455 section 5.7 and on each length form (7, 7+16, 7+64 bits); and that every label the inspector's
// frame anatomy shows exists in both languages.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from './lib/server.mjs';
import { decodeFrame, fromHex, frameHeaderBytes, partOfBit, OPCODES, PARTS } from '../../web/frame.js';

const text = (bytes) => new TextDecoder().decode(bytes);

test('the RFC 6455 examples decode to what section 5.7 says they are', () => {
  const unmasked = decodeFrame(Uint8Array.from([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]));
  assert.deepEqual(
    [unmasked.fin, unmasked.rsv, unmasked.opcode, unmasked.masked, unmasked.payloadLength, unmasked.key, unmasked.headerLength],
    [1, [0, 0, 0], 1, false, 5, null, 2],
  );
  assert.equal(text(unmasked.payload), 'Hello');

  const masked = decodeFrame(fromHex('818537fa213d7f9f4d5158'));
  assert.deepEqual([masked.masked, Array.from(masked.key), masked.headerLength], [true, [0x37, 0xfa, 0x21, 0x3d], 6]);
  assert.equal(text(masked.payload), 'Hello', 'unmasked with the key');

  const first = decodeFrame(Uint8Array.from([0x01, 0x03, 0x48, 0x65, 0x6c]));
  const last = decodeFrame(Uint8Array.from([0x80, 0x02, 0x6c, 0x6f]));
  assert.deepEqual([first.fin, first.opcode, last.fin, last.opcode], [0, 1, 1, 0], 'a fragmented "Hello"');
  assert.equal(decodeFrame(fromHex('8905' + '48656c6c6f')).opcode, 9, 'ping');
  assert.deepEqual(decodeFrame(Uint8Array.from([0xc1, 0x00])).rsv, [1, 0, 0], 'RSV1 (permessage-deflate would set it)');
});

test('each length form: 7 bits, 7+16 bits, 7+64 bits', () => {
  for (const [payload, bits] of [[0, 7], [125, 7], [126, 23], [256, 23], [65_535, 23], [65_536, 71]]) {
    for (const masked of [false, true]) {
      const header = frameHeaderBytes(payload, masked);
      const bytes = new Uint8Array(header + payload);
      bytes[0] = 0x82;
      bytes[1] = (masked ? 0x80 : 0) | (bits === 7 ? payload : bits === 23 ? 126 : 127);
      const view = new DataView(bytes.buffer);
      if (bits === 23) view.setUint16(2, payload);
      if (bits === 71) view.setBigUint64(2, BigInt(payload));
      const frame = decodeFrame(bytes);
      assert.deepEqual([frame.payloadLength, frame.lengthBits, frame.headerLength], [payload, bits, header], `${payload} ${masked}`);
      // Every bit of the frame belongs to exactly one part, in wire order.
      const order = Array.from({ length: header * 8 + Math.min(payload, 1) * 8 }, (_, bit) => partOfBit(frame, bit));
      const seen = order.filter((part, i) => part !== order[i - 1]);
      const want = PARTS.filter((p) => (p !== 'key' || masked) && (p !== 'payload' || payload));
      assert.deepEqual(seen, want, `${payload} ${masked}`);
    }
  }
});

test('bytes that are not one whole frame are refused', () => {
  assert.throws(() => decodeFrame(Uint8Array.from([0x81])), /at least 2 bytes/);
  assert.throws(() => decodeFrame(Uint8Array.from([0x81, 0xfe, 0x00])), /header is cut off/);
  assert.throws(() => decodeFrame(Uint8Array.from([0x81, 0x05, 0x48])), /says 7 bytes, the frame has 3/);
  assert.throws(() => decodeFrame(fromHex('810548656c6c6f21')), /says 7 bytes, the frame has 8/);
  assert.throws(() => fromHex('8x'), /not hex/);
});

test('every label of the frame anatomy is in both languages', () => {
  const i18n = fs.readFileSync(path.join(REPO, 'web', 'i18n.js'), 'utf8');
  const keys = [
    ...PARTS.map((p) => `part.${p}`),
    ...Object.keys(OPCODES).map((op) => `op.${op}`),
    ...['sent', 'received', 'none', 'size', 'bit', 'bits', 'bytes', 'title', 'intro'].map((k) => `frames.${k}`),
    ...['fin.0', 'fin.1', 'rsv.none', 'op.reserved', 'mask.0', 'mask.1', 'len.7', 'len.23', 'len.71', 'key.xor', 'key.none'],
    ...['payload.unmasked', 'keepalive.label', 'keepalive.title', 'keepalive.connections', 'keepalive.connect'],
  ];
  for (const key of keys) assert.equal(i18n.split(`'${key}':`).length - 1, 2, `${key} in en and zh`);
});

// Role: the inspector's frame anatomy. GET /inspect gives, for a client's WebSocket, the last data frame
// the server sent it and the last one it sent the server, as the bytes on the wire; this shows the two side
// by side, each header byte as hex and as its 8 bits, every part (FIN, RSV1-3, opcode, MASK, payload
// length, masking key, payload) in its own colour, and below, what each part says. frame.js decodes.
import { el } from './dom.js';
import { t } from './i18n.js';
import { decodeFrame, fromHex, partOfBit, OPCODES, PARTS } from './frame.js';

/** Payload bytes shown as hex after the header (the rest is summed up; the text is shown below). */
const PAYLOAD_BYTES_SHOWN = 6;

/** The two directions, in the order shown: what the server sent, what the client sent. */
const DIRECTIONS = ['sent', 'received'];

/**
 * Fills `root` with the two frames of `frames` ({sent, received}: hex or null, from GET /inspect), or a
 * note when the client has no WebSocket frame yet.
 */
export function showFrames(root, frames) {
  const shown = DIRECTIONS.filter((way) => frames?.[way]);
  if (!shown.length) {
    root.replaceChildren(el('p', { class: 'muted' }, t('frames.none')));
    return;
  }
  root.replaceChildren(...DIRECTIONS.map((way) => (frames[way] ? figure(way, frames[way]) : empty(way))));
}

function empty(way) {
  return el('figure', { class: 'frame', dataset: { frame: way } }, el('figcaption', {}, el('b', {}, t(`frames.${way}`))),
    el('p', { class: 'muted' }, t('frames.none')));
}

/** One frame: caption, its bytes with their bits, and what each part says. */
function figure(way, hex) {
  let frame;
  try {
    frame = decodeFrame(fromHex(hex));
  } catch (err) {
    return el('figure', { class: 'frame', dataset: { frame: way } }, el('p', { class: 'error' }, err.message));
  }
  const bytes = fromHex(hex);
  return el(
    'figure',
    { class: 'frame', dataset: { frame: way, hex, header: frame.headerLength } },
    el(
      'figcaption',
      {},
      el('b', {}, t(`frames.${way}`)),
      ' · ',
      t('frames.size', { header: frame.headerLength, payload: frame.payloadLength }),
    ),
    el('ol', { class: 'wire' }, headerBytes(frame, bytes), payloadBytes(frame, bytes)),
    el('dl', { class: 'parts' }, PARTS.map((part) => partRow(part, frame))),
  );
}

/** Each header byte: its hex over its 8 bits, every bit coloured by the part it belongs to. */
function headerBytes(frame, bytes) {
  return Array.from(bytes.slice(0, frame.headerLength), (byte, i) => {
    const bits = Array.from({ length: 8 }, (_, b) => {
      const bit = i * 8 + b;
      return el('i', { class: `p-${partOfBit(frame, bit)}` }, String((byte >> (7 - b)) & 1));
    });
    const whole = partOfBit(frame, i * 8) === partOfBit(frame, i * 8 + 7) ? `p-${partOfBit(frame, i * 8)}` : 'p-mixed';
    return el('li', { class: `byte ${whole}` }, el('code', { class: 'hex' }, hexByte(byte)), el('span', { class: 'bits' }, bits));
  });
}

/** The payload's first bytes as they are on the wire (masked, for a client frame), then how many more. */
function payloadBytes(frame, bytes) {
  const payload = bytes.slice(frame.headerLength);
  const first = Array.from(payload.slice(0, PAYLOAD_BYTES_SHOWN), (byte) =>
    el('li', { class: 'byte p-payload' }, el('code', { class: 'hex' }, hexByte(byte))),
  );
  const more = payload.length - first.length;
  return more > 0 ? [...first, el('li', { class: 'more p-payload' }, `+${more} B`)] : first;
}

/** What one part says: its name and width, its value, and what that value means. */
function partRow(part, frame) {
  const [from, to] = frame.parts[part].bits;
  const bits = to - from;
  const width =
    part === 'payload' ? t('frames.bytes', { n: frame.payloadLength }) : t(bits === 1 ? 'frames.bit' : 'frames.bits', { n: bits });
  const [value, meaning] = partValue(part, frame);
  return el(
    'div',
    { class: `part p-${part}`, dataset: { part } },
    el('dt', {}, t(`part.${part}`), ' ', el('small', {}, width)),
    el('dd', { dataset: { value } }, el('code', {}, value), meaning ? ` ${meaning}` : ''),
  );
}

/** [value as shown (and in data-value), what it means]. */
function partValue(part, frame) {
  switch (part) {
    case 'fin':
      return [String(frame.fin), t(`fin.${frame.fin}`)];
    case 'rsv':
      return [frame.rsv.join(' '), frame.rsv.some(Boolean) ? '' : t('rsv.none')];
    case 'opcode':
      return [`0x${frame.opcode.toString(16)}`, t(frame.opcode in OPCODES ? `op.${frame.opcode}` : 'op.reserved')];
    case 'mask':
      return [frame.masked ? '1' : '0', t(frame.masked ? 'mask.1' : 'mask.0')];
    case 'len':
      return [String(frame.payloadLength), t(`len.${frame.lengthBits}`, { len7: frame.len7 })];
    case 'key':
      return frame.key ? [Array.from(frame.key, hexByte).join(' '), t('key.xor')] : ['—', t('key.none')];
    case 'payload':
      return [new TextDecoder().decode(frame.payload), frame.masked ? t('payload.unmasked') : ''];
    default:
      return ['', ''];
  }
}

function hexByte(byte) {
  return byte.toString(16).padStart(2, '0');
}

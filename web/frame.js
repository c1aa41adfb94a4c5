// Role: one WebSocket frame, bit by bit (RFC 6455 section 5.2): the page's one copy of the header rule
// (the Rust one is crates/contract/src/rfc6455.rs) and the decoding the protocol inspector shows.
//
//   byte 0   FIN (1 bit): last fragment of its message · RSV1-3 (1 bit each): 0 unless an extension
//            says otherwise · opcode (4 bits): 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong
//   byte 1   MASK (1 bit): a masking key follows · payload length (7 bits): 0-125 is the length itself,
//            126 says a 16-bit length follows, 127 a 64-bit one
//   then     the extended length (0, 2 or 8 bytes), the masking key (4 bytes, only when MASK), the payload
//            (when masked, byte i XOR key[i % 4])
//
// So a server's frame of a short message costs 2 header bytes and a browser's 6: the browser must mask
// everything it sends (so a script cannot make it send bytes a proxy would mistake for HTTP), the server
// never masks.

/** The 7-bit length values that announce an extended length. */
export const LEN_16 = 126;
export const LEN_64 = 127;
/** The masking key's size. */
export const MASK_KEY_BYTES = 4;

/** Bytes of extended length after a 7-bit length field of `len7`: 0, 2 or 8. */
export function extendedLengthBytes(len7) {
  return len7 === LEN_16 ? 2 : len7 === LEN_64 ? 8 : 0;
}

/** The 7-bit length field for a payload of `payload` bytes. */
export function len7For(payload) {
  return payload <= 125 ? payload : payload <= 0xffff ? LEN_16 : LEN_64;
}

/**
 * Header bytes of one frame carrying `payload` bytes: 2, plus 2 or 8 of extended length when the payload
 * does not fit the 7-bit length field (over 125 bytes; over 65535), plus the 4-byte masking key when
 * `masked` (every frame a client sends is).
 */
export function frameHeaderBytes(payload, masked) {
  return 2 + extendedLengthBytes(len7For(payload)) + (masked ? MASK_KEY_BYTES : 0);
}

/** The opcodes RFC 6455 defines, by their names in the RFC. */
export const OPCODES = { 0: 'continuation', 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' };

/**
 * The parts of a frame, in wire order, as the inspector colours them. Each decoded frame gives every
 * part its bit range on the wire ([start, end) in bits from the frame's first bit) and its value.
 */
export const PARTS = ['fin', 'rsv', 'opcode', 'mask', 'len', 'key', 'payload'];

/** Bytes from lower-case hex ("8105…"), as GET /inspect gives frames. */
export function fromHex(hex) {
  if (typeof hex !== 'string' || hex.length % 2 || /[^0-9a-f]/i.test(hex)) throw new Error(`not hex: ${hex}`);
  return Uint8Array.from(hex.match(/../g) || [], (h) => parseInt(h, 16));
}

/**
 * Decodes one whole frame: {fin, rsv: [1, 2, 3 as 0/1], opcode, masked, len7, lengthBits (7, 23 or 71),
 * payloadLength, key (4 bytes or null), headerLength, payload (unmasked bytes), parts: {name: {bits:
 * [start, end)}}}. Throws when the bytes are not one whole frame.
 */
export function decodeFrame(bytes) {
  if (bytes.length < 2) throw new Error('a frame has at least 2 bytes');
  const masked = (bytes[1] & 0x80) !== 0;
  const len7 = bytes[1] & 0x7f;
  const extended = extendedLengthBytes(len7);
  const headerLength = 2 + extended + (masked ? MASK_KEY_BYTES : 0);
  if (bytes.length < headerLength) throw new Error('the header is cut off');
  let payloadLength = len7;
  if (extended) {
    // Up to 64 bits: BigInt, then a Number (a frame the page holds is far under 2^53 bytes).
    const view = new DataView(bytes.buffer, bytes.byteOffset + 2, extended);
    payloadLength = extended === 2 ? view.getUint16(0) : Number(view.getBigUint64(0));
  }
  if (bytes.length !== headerLength + payloadLength) {
    throw new Error(`the header says ${headerLength + payloadLength} bytes, the frame has ${bytes.length}`);
  }
  const key = masked ? bytes.slice(2 + extended, headerLength) : null;
  const payload = bytes.slice(headerLength).map((b, i) => (key ? b ^ key[i % MASK_KEY_BYTES] : b));
  const keyAt = (2 + extended) * 8;
  return {
    fin: bytes[0] >> 7,
    rsv: [(bytes[0] >> 6) & 1, (bytes[0] >> 5) & 1, (bytes[0] >> 4) & 1],
    opcode: bytes[0] & 0x0f,
    masked,
    len7,
    lengthBits: 7 + extended * 8,
    payloadLength,
    key,
    headerLength,
    payload,
    parts: {
      fin: { bits: [0, 1] },
      rsv: { bits: [1, 4] },
      opcode: { bits: [4, 8] },
      mask: { bits: [8, 9] },
      len: { bits: [9, keyAt] },
      key: { bits: [keyAt, headerLength * 8] },
      payload: { bits: [headerLength * 8, bytes.length * 8] },
    },
  };
}

/** The part a bit of the frame belongs to (bit 0 is the first byte's top bit). */
export function partOfBit(frame, bit) {
  return PARTS.find((name) => bit >= frame.parts[name].bits[0] && bit < frame.parts[name].bits[1]);
}

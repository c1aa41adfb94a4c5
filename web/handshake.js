// Role: the WebSocket handshake's one calculation, worked through step by step (RFC 6455 section 4.2.2).
// The browser sends a random 16-byte Sec-WebSocket-Key in base64; the server appends the GUID below,
// takes the SHA-1 of that text and answers its base64 as Sec-WebSocket-Accept. Only a server that speaks
// WebSocket computes it, so the browser knows the 101 is not a cache or a plain HTTP server answering.
// The inspector (inspector.js) shows each step for the page's own connection and for the RFC's example.

/** The fixed GUID every WebSocket server appends to the key (RFC 6455 section 1.3). */
export const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The example of RFC 6455 section 1.3, the one the documents quote: this key gives this accept value. */
export const RFC_EXAMPLE = { key: 'dGhlIHNhbXBsZSBub25jZQ==', accept: 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=' };

/**
 * The steps from a key to its accept value: {key, joined: key + GUID, sha1: hex of the 20-byte digest,
 * accept: base64 of the digest}.
 */
export async function acceptSteps(key) {
  const joined = key + GUID;
  const digest = await sha1(new TextEncoder().encode(joined));
  const sha1Hex = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  const accept = btoa(String.fromCharCode(...digest));
  return { key, joined, sha1: sha1Hex, accept };
}

/**
 * SHA-1 of `bytes` as 20 bytes: the browser's crypto.subtle.digest, which exists only in a secure context
 * (https, or localhost). A student's phone on the classroom's http://192.168… address has none, so there
 * the page computes it itself, the way RFC 3174 describes.
 */
export async function sha1(bytes) {
  if (globalThis.crypto?.subtle) return new Uint8Array(await crypto.subtle.digest('SHA-1', bytes));
  return sha1Fallback(bytes);
}

/** RFC 3174 SHA-1: pad to a multiple of 64 bytes ending in the bit length, then 80 rounds per block. */
export function sha1Fallback(bytes) {
  const padded = new Uint8Array(Math.ceil((bytes.length + 9) / 64) * 64);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(bytes.length / 0x20000000));
  view.setUint32(padded.length - 4, (bytes.length * 8) >>> 0);
  const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
  const w = new Uint32Array(80);
  const rotl = (x, n) => (x << n) | (x >>> (32 - n));
  for (let block = 0; block < padded.length; block += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(block + i * 4);
    for (let i = 16; i < 80; i++) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    let [a, b, c, d, e] = h;
    for (let i = 0; i < 80; i++) {
      const [f, k] =
        i < 20 ? [(b & c) | (~b & d), 0x5a827999]
        : i < 40 ? [b ^ c ^ d, 0x6ed9eba1]
        : i < 60 ? [(b & c) | (b & d) | (c & d), 0x8f1bbcdc]
        : [b ^ c ^ d, 0xca62c1d6];
      const t = (rotl(a, 5) + f + e + k + w[i]) >>> 0;
      [e, d, c, b, a] = [d, c, rotl(b, 30) >>> 0, a, t];
    }
    h.forEach((v, i) => (h[i] = (v + [a, b, c, d, e][i]) >>> 0));
  }
  const out = new Uint8Array(20);
  h.forEach((v, i) => new DataView(out.buffer).setUint32(i * 4, v));
  return out;
}

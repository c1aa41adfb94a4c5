// Role: one tiny helper to build DOM nodes. Text always goes in through textContent (via text nodes),
// never innerHTML, so a chat message like <img src=x onerror=alert(1)> shows as those characters.

/**
 * el('li', { class: 'msg', dataset: { id: 4 } }, 'text', childNode)
 * Strings become text nodes; attributes are set with setAttribute; `dataset` fills data-*.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** Human byte counts: 871 B, 12.3 kB, 4.56 MB (powers of 1000, as on the wire charts). */
export function bytes(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (n < 1000) return `${Math.round(n)} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 2 : 1)} kB`;
  return `${(n / 1e6).toFixed(2)} MB`;
}

/** Milliseconds from microseconds, with one decimal under 100 ms. */
export function ms(us) {
  if (us === null || us === undefined || !Number.isFinite(us)) return '—';
  const v = us / 1000;
  return `${Math.abs(v) < 100 ? v.toFixed(1) : Math.round(v)} ms`;
}

export function median(values) {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

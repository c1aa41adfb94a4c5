// Role: the summary row: the four transports ranked by what they cost (bytes on the wire per delivered
// message, from the server's counters) and by how late messages arrive (median latency in this browser).
import { el, bytes, ms } from './dom.js';
import { t } from './i18n.js';

export function renderSummary(root, panes) {
  const rank = (titleKey, valueOf, format, key) => {
    const rows = panes
      .map((p) => ({ kind: p.kind, value: valueOf(p) }))
      .filter((r) => r.value !== null && Number.isFinite(r.value))
      .sort((a, b) => a.value - b.value);
    const list = rows.length
      ? el(
          'ol',
          {},
          rows.map((r) => el('li', { dataset: { kind: r.kind } }, el('span', {}, t(`short.${r.kind}`)), el('b', {}, format(r.value)))),
        )
      : el('p', { class: 'muted' }, t('summary.waiting'));
    return el('div', { class: 'ranking', dataset: { rank: key } }, el('h3', {}, t(titleKey)), list);
  };
  root.replaceChildren(
    rank('summary.bytes', (p) => p.bytesPerMessage(), bytes, 'bytes'),
    rank('summary.latency', (p) => p.medianLatency(), ms, 'latency'),
    el('p', { class: 'explain' }, t('summary.explain')),
  );
}

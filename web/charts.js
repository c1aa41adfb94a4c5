// Role: the charts tab. Shows the SVG charts `feedlab run` wrote to results/ (served at /results/) with
// the verdict paragraphs: each claim the experiment tests and whether the measurement supports it.
// Reads /results/index.json (written by `feedlab report`, crates/report/src/render/index.rs):
//   {"experiments": [{"experiment", "title", "quick", "data", "csv",
//                     "charts": [{"name", "title", "svg", "png"}],
//                     "verdicts": [{"claim", "source", "outcome", "evidence", "paragraph"}], "notes": []}]}
// When there are no results yet (404), it says how to make them.
import { el } from './dom.js';
import { t, withCode } from './i18n.js';

export async function loadCharts(root) {
  const out = root.querySelector('.charts-output');
  let index;
  try {
    const res = await fetch('/results/index.json', { cache: 'no-store' });
    if (res.status === 404) {
      out.replaceChildren(el('p', { class: 'note', dataset: { state: 'missing' } }, withCode(t('charts.missing'))));
      return;
    }
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    index = await res.json();
  } catch (err) {
    out.replaceChildren(el('p', { class: 'error' }, t('charts.error', { error: err.message })));
    return;
  }
  const experiments = Array.isArray(index?.experiments) ? index.experiments : [];
  if (!experiments.length) {
    out.replaceChildren(el('p', { class: 'note', dataset: { state: 'missing' } }, withCode(t('charts.missing'))));
    return;
  }
  out.replaceChildren(...experiments.map(renderExperiment), el('p', {}, el('a', { href: '/results/index.html' }, t('charts.full'))));
}

function renderExperiment(x) {
  const charts = (x.charts || []).map((c) =>
    el(
      'figure',
      { class: 'chart', dataset: { chart: c.name || '' } },
      // <img> never runs scripts inside an SVG: a chart file can only draw.
      el('img', { src: resolve(c.svg || c.png), alt: c.title || c.name || '', loading: 'lazy' }),
      el('figcaption', {}, c.title || c.name || ''),
    ),
  );
  const verdicts = (x.verdicts || []).map((v) =>
    el(
      'li',
      { class: 'verdict', dataset: { outcome: v.outcome || 'inconclusive' } },
      el('span', { class: 'outcome' }, t(`outcome.${v.outcome}`)),
      el('p', {}, markdownText(v.paragraph || [v.claim, v.evidence].filter(Boolean).join(' '))),
    ),
  );
  const links = [x.data, x.csv].filter(Boolean).map((p) => el('a', { href: resolve(p) }, p));
  return el(
    'section',
    { class: 'experiment', dataset: { experiment: x.experiment || '' } },
    el('h3', {}, x.title || x.experiment || '', x.quick ? el('small', { class: 'quick' }, ' (--quick)') : ''),
    el('div', { class: 'chart-grid' }, charts),
    verdicts.length ? el('ul', { class: 'verdicts' }, verdicts) : '',
    (x.notes || []).length ? el('ul', { class: 'notes' }, x.notes.map((n) => el('li', {}, markdownText(n)))) : '',
    links.length ? el('p', { class: 'data-links' }, links.flatMap((a, i) => (i ? [' · ', a] : [a]))) : '',
  );
}

/** Inline Markdown (`code`, **bold**, [text](url)) as text nodes and <code>/<strong>: never parsed as HTML. */
function markdownText(md) {
  const nodes = [];
  const re = /`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\([^)]*\)/g;
  let last = 0;
  for (let m; (m = re.exec(md)); last = re.lastIndex) {
    if (m.index > last) nodes.push(md.slice(last, m.index));
    if (m[1] !== undefined) nodes.push(el('code', {}, m[1]));
    else if (m[2] !== undefined) nodes.push(el('strong', {}, m[2]));
    else nodes.push(m[3]);
  }
  nodes.push(md.slice(last));
  return nodes;
}

function resolve(path) {
  if (!path) return '';
  return /^(\/|https?:)/.test(path) ? path : `/results/${path}`;
}

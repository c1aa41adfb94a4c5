// Role: the charts tab. Shows the SVG charts `feedlab run` wrote to results/ (served at /results/), each
// with its verdict paragraph: the claim the chart tests and whether the measurement supports it.
// Reads /results/index.json; when there are no results yet, says how to make them.
import { el } from './dom.js';
import { t } from './i18n.js';

export async function loadCharts(root) {
  const out = root.querySelector('.charts-output');
  let index;
  try {
    const res = await fetch('/results/index.json', { cache: 'no-store' });
    if (res.status === 404) {
      out.replaceChildren(el('p', { class: 'note', dataset: { state: 'missing' } }, t('charts.missing')));
      return;
    }
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    index = await res.json();
  } catch (err) {
    out.replaceChildren(el('p', { class: 'error' }, t('charts.error', { error: err.message })));
    return;
  }
  const experiments = Array.isArray(index) ? index : index.experiments || [];
  const sections = experiments.map((x) => {
    const charts = (x.charts || []).map((c) => {
      const src = resolve(c.svg || c.src || c.path || c.file);
      const verdicts = [c.claim, c.verdict, c.paragraph, c.text].filter((v) => typeof v === 'string');
      const supported =
        typeof c.supported === 'boolean' ? c.supported : typeof c.supports === 'boolean' ? c.supports : undefined;
      return el(
        'figure',
        { class: 'chart', dataset: { supported: supported === undefined ? 'unknown' : String(supported) } },
        // <img> never runs scripts inside an SVG, so a chart file cannot do anything but draw.
        el('img', { src, alt: c.title || c.name || '', loading: 'lazy' }),
        el('figcaption', {}, el('strong', {}, c.title || c.name || ''), verdicts.map((v) => el('p', {}, v))),
      );
    });
    const verdict = [x.verdict, x.summary].filter((v) => typeof v === 'string').map((v) => el('p', { class: 'verdict' }, v));
    return el('section', { class: 'experiment' }, el('h3', {}, x.title || x.name || ''), verdict, charts);
  });
  out.replaceChildren(
    ...sections,
    el('p', {}, el('a', { href: '/results/index.html', target: '_blank', rel: 'noopener' }, t('charts.full'))),
  );
}

function resolve(path) {
  if (!path) return '';
  return /^(\/|https?:)/.test(path) ? path : `/results/${path}`;
}

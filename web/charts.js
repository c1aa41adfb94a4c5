// Role: the charts tab. Shows the charts `feedlab run` wrote to results/ (served at /results/) with
// the verdict paragraphs: each claim the experiment tests and whether the measurement supports it, in the
// page's language. Reads /results/index.json, or in 中文 /results/index.zh.json (the same shape, Chinese
// charts and texts; written by `feedlab report`, crates/report/src/render/index.rs):
//   {"experiments": [{"experiment", "title", "quick", "data", "csv",
//                     "charts": [{"name", "title", "svg", "png"}],
//                     "verdicts": [{"claim", "source", "outcome", "evidence", "paragraph"}], "notes": []}]}
// Results rendered before the report had Chinese have no index.zh.json: then the English one is shown.
// When there are no results yet (404), it says how to make them.
import { el } from './dom.js';
import { currentLang, t, withCode } from './i18n.js';

/** The report's files in the page's language: `index.zh.json` beside `index.json` (crates/report/src/paths.rs). */
function inLang(name, lang) {
  return lang === 'zh' ? name.replace(/\.(\w+)$/, '.zh.$1') : name;
}

export async function loadCharts(root) {
  const out = root.querySelector('.charts-output');
  const missing = () => out.replaceChildren(el('p', { class: 'note', dataset: { state: 'missing' } }, withCode(t('charts.missing'))));
  let index;
  let lang = currentLang();
  try {
    let res = await fetch(`/results/${inLang('index.json', lang)}`, { cache: 'no-store' });
    if (res.status === 404 && lang !== 'en') {
      lang = 'en';
      res = await fetch('/results/index.json', { cache: 'no-store' });
    }
    if (res.status === 404) return missing();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    index = await res.json();
  } catch (err) {
    out.replaceChildren(el('p', { class: 'error' }, t('charts.error', { error: err.message })));
    return;
  }
  const experiments = Array.isArray(index?.experiments) ? index.experiments : [];
  if (!experiments.length) return missing();
  const full = el('p', {}, el('a', { href: `/results/${inLang('index.html', lang)}` }, t('charts.full')));
  out.replaceChildren(...experiments.map((x) => renderExperiment(x, lang)), full);
  out.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

function renderExperiment(x, lang) {
  const charts = (x.charts || []).map((c) =>
    el(
      'figure',
      { class: 'chart', dataset: { chart: c.name || '' } },
      // <img> never runs scripts inside an SVG: a chart file can only draw. An SVG in an <img> draws its
      // text with the machine's fonts, not the page's: Chinese charts show their PNG, drawn by the report
      // with its own Chinese font, so they read the same on a machine without one.
      el('img', { src: resolve(lang === 'zh' ? c.png || c.svg : c.svg || c.png), alt: c.title || c.name || '', loading: 'lazy' }),
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

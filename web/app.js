// Role: the classroom page's entry point. Builds the five panes, starts one real client per pane
// (clients/*.js), feeds their events into the panes and the narration strip, polls /stats for each
// pane's counters, and wires the controls (poll interval, ticker, chat, pause, reset), the language
// toggle and the tabs. Everything shown from the feed goes in as text, never as HTML.
import { applyStatic, setLang, currentLang, onLangChange, t } from './i18n.js';
import { getJson, postJson, newClientId, setToken, HttpError } from './api.js';
import { Clock } from './clock.js';
import { Pane } from './pane.js';
import { Narration } from './narration.js';
import { renderSummary } from './summary.js';
import { Inspector } from './inspector.js';
import { loadCharts } from './charts.js';
import { el, bytes } from './dom.js';
import { NAMES, clientOf } from './clients/transports.js';
import { READY_STATES } from './clients/ws.js';
import { AutoClient } from './clients/auto.js';

/** How often each pane's counters are fetched from /stats. */
const STATS_EVERY_MS = 1000;
/** How often the clock offset is re-estimated (clocks drift; a laptop may sleep). */
const CLOCK_EVERY_MS = 60000;
/** The pane of the auto client, beside the four transports' panes. */
const AUTO = 'auto';

const $ = (sel) => document.querySelector(sel);
const clock = new Clock();
const narration = new Narration($('#narration'));
const state = { panes: [], clients: new Map(), settings: {} };
/** Chat sent by POST /messages (when the WebSocket is not open) is counted under its own client id. */
const CHAT_ID = newClientId('chat');

main().catch((err) => notice(err.message, true));

async function main() {
  applyStatic();
  setupTabs();
  $('#lang').addEventListener('click', () => setLang(currentLang() === 'zh' ? 'en' : 'zh'));
  onLangChange(() => {
    state.panes.forEach((p) => p.render());
    narration.render();
    renderSummary($('#summary'), mainPanes());
    renderClock();
    updateAutoInfo();
    if (!$('#tab-charts').hidden) loadCharts($('#tab-charts'));
    if (!$('#tab-inspector').hidden) document.querySelector('#tab-inspector .refresh').click();
  });
  narration.render();

  const from = $('#from');
  from.value = localStorage.getItem('feedlab.from') || `guest-${Math.floor(Math.random() * 900 + 100)}`;
  from.addEventListener('change', () => localStorage.setItem('feedlab.from', from.value.trim()));
  $('#token').value = sessionStorage.getItem('feedlab.token') || '';
  $('#token').addEventListener('change', (e) => setToken(e.target.value));

  await clock.sync();
  renderClock();
  setInterval(() => clock.sync().then(renderClock).catch(() => {}), CLOCK_EVERY_MS);

  state.settings = (await getJson('/settings').catch(() => ({}))) || {};
  const disabled = new Set(state.settings.disabled || []);
  if (typeof state.settings.ticker_per_s === 'number') $('#ticker').value = String(state.settings.ticker_per_s);
  $('#server-info').textContent = disabled.size ? `--disable ${[...disabled].join(',')}` : '';
  if (state.settings.token_required) $('.token').open = true; // changing the ticker needs it

  // Every pane starts at the same cursor, the feed's head now, so all four show the same messages, and
  // in the feed's epoch, which every client sends back so a restarted server refuses the old cursor.
  // (/stats names both; without it each client starts at the head it sees, and only the pollers learn the
  // epoch, from their answers.)
  const at = await getJson('/stats').catch(() => null);
  const start = {
    after: Number.isSafeInteger(at?.head) ? at.head : undefined,
    epoch: Number.isSafeInteger(at?.epoch) ? at.epoch : undefined,
  };

  const intervalMs = Number($('#interval').value);
  for (const kind of [...NAMES, AUTO]) {
    const pane = new Pane(kind, newClientId(kind), { onPauseToggle: togglePause });
    state.panes.push(pane);
    (kind === AUTO ? $('#auto-slot') : $('#panes')).append(pane.root);
    const client = makeClient(kind, pane, start, intervalMs);
    state.clients.set(kind, client);
    if (kind === 'ws') pane.uploadBytes = () => client.sentBytes;
    if (kind !== AUTO && disabled.has(kind)) {
      pane.setStatus('disabled', `--disable ${kind}`);
      pane.root.dataset.disabled = 'true';
      continue;
    }
    client.start();
  }
  setupWsStatus();
  setupAutoInfo();
  applyStatic($('#panes'));
  applyStatic($('#auto-slot'));
  setupControls();
  new Inspector($('#tab-inspector'), state.panes);
  refreshStats();
  setInterval(refreshStats, STATS_EVERY_MS);
  document.body.dataset.ready = 'true';
}

function mainPanes() {
  return state.panes.filter((p) => p.kind !== AUTO);
}

/** One client per pane, starting at `start` ({after, epoch}), its events routed to the pane and the narration. */
function makeClient(kind, pane, start, intervalMs) {
  const common = {
    clientId: pane.clientId,
    ...start,
    intervalMs,
    onMessages: (messages) => pane.addMessages(messages, clock),
    onStatus: (status, detail) => {
      if (!pane.paused || status === 'paused') pane.setStatus(status, detail);
      if (kind === AUTO) updateAutoInfo();
    },
    onGap: (gap) => pane.addNote(t('gap', { from: gap.from, to: gap.to }), 'gap'),
    onExchange: (event) => {
      // The server restarted: mark where the new feed's messages begin.
      if (event.type === 'restart') pane.addNote(t('restarted', { head: event.head }), 'restart');
      if (kind !== AUTO) narration.exchange(kind, event);
    },
  };
  if (kind === AUTO) {
    return new AutoClient({
      ...common,
      onFallback: (fromKind, toKind, why) => {
        narration.fallback(fromKind, toKind);
        pane.addNote(`${t('short.' + fromKind)} → ${t('short.' + toKind)}${why ? ': ' + why : ''}`);
        updateAutoInfo();
      },
    });
  }
  // Only the WebSocket sends frames the server may refuse (chat); the other clients ignore the option.
  const Client = clientOf(kind);
  return new Client({ ...common, onServerError: (error) => notice(t('err.send', { error }), true) });
}

function togglePause(pane) {
  const client = state.clients.get(pane.kind);
  if (pane.root.dataset.disabled) return;
  pane.paused = !pane.paused;
  if (pane.paused) client.stop();
  else client.start();
  pane.render();
}

/** Each pane's counters: /stats?client=<its id>, summed over the delivery transports. */
async function refreshStats() {
  await Promise.all(
    state.panes.map(async (pane) => {
      try {
        const report = await getJson('/stats', { client: pane.clientId });
        const per = report?.client?.transports || {};
        const sum = {};
        // Over the delivery transports only: publish traffic is counted apart on purpose.
        for (const name of NAMES) {
          for (const [k, v] of Object.entries(per[name] || {})) sum[k] = (sum[k] || 0) + (Number(v) || 0);
        }
        pane.setStats(sum);
      } catch {
        /* the next tick tries again; a restarting server is not an error worth a banner */
      }
    }),
  );
  renderSummary($('#summary'), mainPanes());
}

/** The WebSocket pane shows the browser API's own view: readyState and bufferedAmount. */
function setupWsStatus() {
  const pane = state.panes.find((p) => p.kind === 'ws');
  const ready = el('b', { dataset: { ws: 'readyState' } });
  const buffered = el('b', { dataset: { ws: 'bufferedAmount' } });
  pane.extra.append(
    el('p', { class: 'wsstate' },
      el('code', {}, 'ws.readyState'), ' ', ready, ' · ', el('code', {}, 'ws.bufferedAmount'), ' ', buffered),
  );
  const tick = () => {
    const socket = state.clients.get('ws').socket;
    const rs = socket ? socket.readyState : WebSocket.CLOSED;
    ready.textContent = `${rs} ${READY_STATES[rs]}`;
    ready.dataset.value = rs;
    buffered.textContent = bytes(socket ? socket.bufferedAmount : 0);
  };
  tick();
  setInterval(tick, 250);
}

let autoUsing = null;
function setupAutoInfo() {
  const pane = state.panes.find((p) => p.kind === AUTO);
  autoUsing = el('b', { dataset: { auto: 'transport' } });
  pane.extra.append(el('p', { class: 'using' }, el('span', { dataset: { i18n: 'auto.using' } }), ': ', autoUsing));
  updateAutoInfo();
}
function updateAutoInfo() {
  const client = state.clients.get(AUTO);
  if (!autoUsing || !client) return;
  autoUsing.textContent = client.transport ? t(`name.${client.transport}`) : t('auto.none');
  autoUsing.dataset.value = client.transport || '';
}

function setupControls() {
  $('#interval').addEventListener('change', (e) => {
    const ms = Number(e.target.value);
    state.clients.get('poll').intervalMs = ms;
    const auto = state.clients.get(AUTO);
    auto.intervalMs = ms;
    if (auto.inner && 'intervalMs' in auto.inner) auto.inner.intervalMs = ms;
  });

  $('#ticker').addEventListener('change', async (e) => {
    const perS = Number(e.target.value);
    if (!Number.isFinite(perS) || perS < 0) return;
    try {
      const answer = await postJson('/settings', { ticker_per_s: perS });
      if (answer && typeof answer.ticker_per_s === 'number') e.target.value = String(answer.ticker_per_s);
      notice('');
    } catch (err) {
      notice(t('err.settings', { error: explain(err) }), true);
    }
  });

  $('#reset').addEventListener('click', async () => {
    try {
      await Promise.all(state.panes.map((p) => postJson('/stats/reset', undefined, { client: p.clientId })));
      state.clients.get('ws').sentBytes = 0;
      state.panes.forEach((p) => p.resetLocal());
      await refreshStats();
      notice('');
    } catch (err) {
      notice(t('err.settings', { error: explain(err) }), true);
    }
  });

  // Chat goes over the WebSocket as {"type":"publish"}; if that socket is not open (paused, disabled),
  // it falls back to POST /messages so the class can still talk.
  $('#chat').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = $('#message');
    const body = input.value;
    const from = $('#from').value.trim() || 'guest';
    if (!body.trim()) return;
    const ws = state.clients.get('ws');
    try {
      if (!ws.publish(body, from)) await postJson('/messages', { body, from }, { client: CHAT_ID });
      input.value = '';
      notice('');
    } catch (err) {
      notice(t('err.send', { error: explain(err) }), true);
    }
  });
}

function explain(err) {
  if (err instanceof HttpError && err.status === 401) return `${err.message} (${t('ctl.token')})`;
  return err.message;
}

function notice(text, isError = false) {
  const n = $('#notice');
  n.textContent = text;
  n.classList.toggle('error', Boolean(isError && text));
}

function renderClock() {
  if (clock.rttUs === null) return;
  $('#clock').textContent = t('clock', {
    offset: (clock.offsetUs / 1000).toFixed(1),
    err: (clock.rttUs / 2000).toFixed(1),
  });
}

/** Tabs: Live, Protocol inspector, Charts (the inspector and charts load when opened). */
function setupTabs() {
  const show = (name) => {
    for (const b of document.querySelectorAll('[role=tab]')) b.setAttribute('aria-selected', String(b.dataset.tab === name));
    for (const s of document.querySelectorAll('.tab')) s.hidden = s.id !== `tab-${name}`;
    if (name === 'charts') loadCharts($('#tab-charts'));
    if (name === 'inspector') document.querySelector('#tab-inspector .refresh').click();
  };
  for (const b of document.querySelectorAll('[role=tab]')) b.addEventListener('click', () => show(b.dataset.tab));
}

// Role: the narration strip. Each exchange on the wire is told as the classic dialogue:
//   polling    Client: anything new?                       Server: no.
//   long-poll  Client: tell me when there is something.    Server: … here you go.
//   SSE        Client: keep the line open…  Server: OK.     then  Server: event #42.
//   WebSocket  Client: let's upgrade.  Server: 101.         then  Server: push #42.
// Lines are stored as (speaker, i18n key, params), so switching language re-tells the whole strip.
import { el } from './dom.js';
import { t } from './i18n.js';

/** Lines kept on screen; older ones fall off. */
const MAX_LINES = 7;

export class Narration {
  constructor(root) {
    this.root = root;
    this.list = root.querySelector('ol');
    this.entries = [];
    /** The long-poll question still waiting for its answer, per pane (updated in place). */
    this.pending = new Map();
  }

  /** Translate a client event (clients/*.js onExchange) into dialogue. */
  exchange(kind, event) {
    const tag = kind;
    switch (`${kind}:${event.type}`) {
      case 'poll:answer':
        return this.add(tag, [
          ['client', 'say.poll_ask'],
          ['server', event.n ? 'say.poll_yes' : 'say.poll_no', { n: event.n }],
        ]);
      case 'longpoll:ask': {
        const entry = this.add(tag, [['client', 'say.lp_ask'], ['server', 'say.lp_wait']]);
        entry.waiting = true;
        this.pending.set(kind, entry);
        return entry;
      }
      case 'longpoll:answer':
      case 'longpoll:timeout':
      case 'longpoll:head': {
        const entry = this.pending.get(kind);
        if (!entry) return null;
        this.pending.delete(kind);
        entry.waiting = false;
        entry.lines[1] = ['server', event.n ? 'say.lp_yes' : 'say.lp_timeout', { n: event.n }];
        this.render();
        return entry;
      }
      // The two streams tell the same story in their own words: say.sse_* and say.ws_*.
      case 'sse:ask':
      case 'ws:ask':
        return this.add(tag, [['client', `say.${kind}_ask`]]);
      case 'sse:open':
      case 'ws:open':
        return this.add(tag, [['server', `say.${kind}_ok`]]);
      case 'sse:push':
      case 'ws:push':
        return this.push(tag, `say.${kind}_push`, event.id);
      case 'ws:publish':
        return this.add(tag, [['client', 'say.ws_publish']]);
      default:
        if (event.type === 'unavailable') {
          return this.add(tag, [['server', 'say.unavailable', { name: t(`short.${kind}`) }]]);
        }
        if (event.type === 'restart') return this.restart(tag, event.head);
        return null;
    }
  }

  /**
   * A pushed message. When the feed is busy, pushes of the same transport within a second fold into one
   * line ("push #41–45") so the strip keeps showing the other transports' exchanges too.
   */
  push(tag, key, id) {
    const recent = this.entries.slice(0, 4).find((e) => e.tag === tag && e.push && Date.now() - e.at < 1000);
    if (recent) {
      recent.push.last = id;
      recent.lines[0][2] = { id: `${recent.push.first}–${id}` };
      this.render();
      return recent;
    }
    const entry = this.add(tag, [['server', key, { id }]]);
    entry.push = { first: id, last: id };
    return entry;
  }

  /**
   * The server restarted (a 409 to our epoch): the client starts again at the new feed's head. A long-poll
   * question still waiting on the strip gets this as its answer.
   */
  restart(tag, head) {
    const lines = [['server', 'say.restart'], ['client', 'say.restart_head', { head }]];
    const entry = this.pending.get(tag);
    if (!entry) return this.add(tag, lines);
    this.pending.delete(tag);
    entry.waiting = false;
    entry.lines.splice(1, 1, ...lines);
    this.render();
    return entry;
  }

  /** The auto client switched transport. */
  fallback(from, to) {
    this.add('auto', [['auto', 'say.fallback', { from: t(`short.${from}`), to: t(`short.${to}`) }]]);
  }

  add(tag, lines) {
    const entry = { tag, lines, at: Date.now() };
    this.entries.unshift(entry);
    if (this.entries.length > MAX_LINES) {
      const dropped = this.entries.pop();
      for (const [k, v] of this.pending) if (v === dropped) this.pending.delete(k);
    }
    this.render();
    return entry;
  }

  render() {
    const items = this.entries.map((entry) =>
      el(
        'li',
        { class: `say say-${entry.tag}${entry.waiting ? ' waiting' : ''}` },
        el('span', { class: 'tag', dataset: { kind: entry.tag } }, t(`short.${entry.tag}`)),
        entry.lines.map(([who, key, params]) =>
          el(
            'span',
            { class: `line who-${who}` },
            who === 'auto' ? '' : el('b', {}, `${t(`who.${who}`)}: `),
            t(key, params),
          ),
        ),
      ),
    );
    if (!items.length) items.push(el('li', { class: 'say empty' }, t('narration.empty')));
    this.list.replaceChildren(...items);
  }
}

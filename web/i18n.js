// Role: the page's two languages, English and 中文. Static text carries data-i18n="key" and is filled
// with textContent; dynamic text calls t(key, params). The default follows the browser's language.

const STRINGS = {
  en: {
    'title': 'feedlab',
    'subtitle': 'one chat feed, four ways to receive it',
    'tab.live': 'Live',
    'tab.inspector': 'Protocol inspector',
    'tab.charts': 'Charts',
    'lang.toggle': '中文',
    'lang.toggle.label': 'Switch language to Chinese',
    'name.poll': 'Ajax polling',
    'name.longpoll': 'Long-poll',
    'name.sse': 'Server-Sent Events',
    'name.ws': 'WebSocket',
    'name.auto': 'Auto (Socket.IO style)',
    'short.poll': 'polling',
    'short.longpoll': 'long-poll',
    'short.sse': 'SSE',
    'short.ws': 'WebSocket',
    'short.auto': 'auto',
    'api.poll': 'fetch() on a timer',
    'api.longpoll': 'fetch() held open by the server',
    'api.sse': 'EventSource',
    'api.ws': 'WebSocket',
    'api.auto': 'tries WebSocket → SSE → long-poll → polling',
    'ctl.interval': 'Poll every',
    'ctl.ticker': 'Ticker',
    'ctl.per_s': 'msg/s',
    'ctl.name': 'Name',
    'ctl.message': 'Message',
    'ctl.message.placeholder': 'Say something to the class…',
    'ctl.send': 'Send',
    'ctl.reset': 'Reset counters',
    'ctl.token': 'Token',
    'ctl.token.placeholder': 'publish token, if any',
    'pane.pause': 'Pause',
    'pane.resume': 'Resume',
    'c.requests': 'requests',
    'c.empty': 'empty answers',
    'c.hdr_up': 'header bytes ↑',
    'c.hdr_down': 'header bytes ↓',
    'c.per_msg': 'bytes / message',
    'c.latency': 'latency (median)',
    'c.delivered': 'messages',
    'c.open': 'open connections',
    'st.connecting': 'connecting',
    'st.open': 'live',
    'st.waiting': 'waiting',
    'st.paused': 'paused',
    'st.unavailable': 'unavailable',
    'st.disabled': 'disabled on this server',
    'st.error': 'error',
    'st.reconnecting': 'reconnecting',
    'ws.readyState': 'readyState',
    'ws.bufferedAmount': 'bufferedAmount',
    'auto.using': 'using',
    'auto.none': 'nothing yet',
    'narration.title': 'What they are saying',
    'narration.empty': 'The exchanges appear here as they happen.',
    'who.client': 'Client',
    'who.server': 'Server',
    'say.poll_ask': 'anything new?',
    'say.poll_no': 'no.',
    'say.poll_yes': 'yes, {n} new.',
    'say.lp_ask': 'tell me when there is something.',
    'say.lp_wait': '…',
    'say.lp_yes': '… here you go ({n}).',
    'say.lp_timeout': '… nothing yet. Ask me again.',
    'say.sse_ask': 'keep the line open and send me events.',
    'say.sse_ok': 'OK, here is an event stream.',
    'say.sse_push': 'event #{id}.',
    'say.ws_ask': "let's upgrade to WebSocket.",
    'say.ws_ok': '101 Switching Protocols.',
    'say.ws_push': 'push #{id}.',
    'say.ws_publish': '(frame) please publish my chat message.',
    'say.unavailable': '404: {name} is switched off here.',
    'say.fallback': '{from} is unavailable, falling back to {to}.',
    'say.restart': '409: I restarted. This is a new feed, its ids began again at 1.',
    'say.restart_head': 'then I start again at its head, after #{head}.',
    'summary.bytes': 'Fewest bytes per message',
    'summary.latency': 'Lowest latency',
    'summary.waiting': 'waiting for messages…',
    'summary.explain': 'bytes / message: every header, body and framing byte the client moved ÷ messages it received (chat sent over the WebSocket not counted). Latency: arrival here − publish time, on the server clock.',
    'clock': 'clock offset {offset} ms (±{err} ms)',
    'gap': 'missed messages {from}–{to} (gap)',
    'restarted': 'the server restarted: a new feed from here on (after #{head})',
    'err.send': 'Could not send: {error}',
    'err.settings': 'Could not change settings: {error}',
    'inspector.intro': 'The last request head the server received and the response head it sent, for each of this page’s clients. Rebuilt by the server from the parsed request, so header names are lower-case and their order may differ from the wire; the byte counts match.',
    'inspector.client': 'Client',
    'inspector.refresh': 'Refresh',
    'inspector.request': 'Request',
    'inspector.response': 'Response',
    'inspector.none': 'No exchange recorded yet for this client.',
    'inspector.error': 'Could not load /inspect: {error}',
    'charts.intro': 'Charts written by `feedlab run`, each with the claim it tests and what the measurement says.',
    'charts.missing': 'No results yet. Run `feedlab run` first (or `feedlab run --quick`), then reload this tab.',
    'charts.error': 'Could not load /results/index.json: {error}',
    'charts.full': 'Full report',
    'outcome.supported': 'supported',
    'outcome.not-supported': 'not supported',
    'outcome.inconclusive': 'inconclusive',
  },
  zh: {
    'title': 'feedlab',
    'subtitle': '同一条聊天消息流，四种接收方式',
    'tab.live': '实时',
    'tab.inspector': '协议查看器',
    'tab.charts': '图表',
    'lang.toggle': 'EN',
    'lang.toggle.label': '切换到英文',
    'name.poll': 'Ajax 轮询',
    'name.longpoll': '长轮询',
    'name.sse': '服务器推送事件 (SSE)',
    'name.ws': 'WebSocket',
    'name.auto': '自动（类似 Socket.IO）',
    'short.poll': '轮询',
    'short.longpoll': '长轮询',
    'short.sse': 'SSE',
    'short.ws': 'WebSocket',
    'short.auto': '自动',
    'api.poll': '定时 fetch()',
    'api.longpoll': '服务器挂起的 fetch()',
    'api.sse': 'EventSource',
    'api.ws': 'WebSocket',
    'api.auto': '依次尝试 WebSocket → SSE → 长轮询 → 轮询',
    'ctl.interval': '轮询间隔',
    'ctl.ticker': '定时消息',
    'ctl.per_s': '条/秒',
    'ctl.name': '名字',
    'ctl.message': '消息',
    'ctl.message.placeholder': '对全班说点什么……',
    'ctl.send': '发送',
    'ctl.reset': '计数清零',
    'ctl.token': '令牌',
    'ctl.token.placeholder': '发布令牌（如有）',
    'pane.pause': '暂停',
    'pane.resume': '继续',
    'c.requests': '请求数',
    'c.empty': '空回答',
    'c.hdr_up': '请求头字节 ↑',
    'c.hdr_down': '响应头字节 ↓',
    'c.per_msg': '每条消息字节数',
    'c.latency': '延迟（中位数）',
    'c.delivered': '消息数',
    'c.open': '打开的连接',
    'st.connecting': '连接中',
    'st.open': '已连接',
    'st.waiting': '等待中',
    'st.paused': '已暂停',
    'st.unavailable': '不可用',
    'st.disabled': '服务器已关闭此方式',
    'st.error': '出错',
    'st.reconnecting': '重新连接中',
    'ws.readyState': 'readyState',
    'ws.bufferedAmount': 'bufferedAmount',
    'auto.using': '正在使用',
    'auto.none': '尚未连接',
    'narration.title': '它们在说什么',
    'narration.empty': '每次交互都会在这里显示。',
    'who.client': '客户端',
    'who.server': '服务器',
    'say.poll_ask': '有新消息吗？',
    'say.poll_no': '没有。',
    'say.poll_yes': '有，{n} 条新消息。',
    'say.lp_ask': '有消息了再告诉我。',
    'say.lp_wait': '……',
    'say.lp_yes': '……给你（{n} 条）。',
    'say.lp_timeout': '……还没有，再问我一次吧。',
    'say.sse_ask': '保持连接，有事件就发给我。',
    'say.sse_ok': '好的，这是事件流。',
    'say.sse_push': '事件 #{id}。',
    'say.ws_ask': '我们升级到 WebSocket 吧。',
    'say.ws_ok': '101 切换协议。',
    'say.ws_push': '推送 #{id}。',
    'say.ws_publish': '（数据帧）请发布我的聊天消息。',
    'say.unavailable': '404：这里关闭了 {name}。',
    'say.fallback': '{from} 不可用，退回到 {to}。',
    'say.restart': '409：我重启过了。这是一条新的消息流，编号从 1 重新开始。',
    'say.restart_head': '那我从它的最新位置重新开始，接在 #{head} 之后。',
    'summary.bytes': '每条消息字节最少',
    'summary.latency': '延迟最低',
    'summary.waiting': '等待消息……',
    'summary.explain': '每条消息字节数：客户端传输的全部头部、正文和分帧字节 ÷ 收到的消息数（经 WebSocket 发出的聊天不计入）。延迟：本浏览器收到的时刻 − 发布时刻（服务器时钟）。',
    'clock': '时钟偏差 {offset} 毫秒（±{err} 毫秒）',
    'gap': '丢失了消息 {from}–{to}（缺口）',
    'restarted': '服务器已重启：从这里起是新的消息流（#{head} 之后）',
    'err.send': '发送失败：{error}',
    'err.settings': '设置失败：{error}',
    'inspector.intro': '服务器为本页每个客户端最后收到的请求头和发出的响应头。由服务器根据解析后的请求重建，所以头部名称为小写，顺序可能与线路上不同；字节数一致。',
    'inspector.client': '客户端',
    'inspector.refresh': '刷新',
    'inspector.request': '请求',
    'inspector.response': '响应',
    'inspector.none': '这个客户端还没有记录到交互。',
    'inspector.error': '无法加载 /inspect：{error}',
    'charts.intro': '`feedlab run` 生成的图表，每张都说明它检验的论断以及测量结果是否支持。',
    'charts.missing': '还没有结果。请先运行 `feedlab run`（或 `feedlab run --quick`），然后重新加载此页。',
    'charts.error': '无法加载 /results/index.json：{error}',
    'charts.full': '完整报告',
    'outcome.supported': '支持',
    'outcome.not-supported': '不支持',
    'outcome.inconclusive': '无定论',
  },
};

const listeners = [];
let lang = (localStorage.getItem('feedlab.lang') ||
  ((navigator.languages && navigator.languages[0]) || navigator.language || 'en')).toLowerCase().startsWith('zh')
  ? 'zh'
  : 'en';

export function currentLang() {
  return lang;
}

/** Translate `key`, filling {name} placeholders from params. Unknown keys show as themselves. */
export function t(key, params = {}) {
  const s = STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (params[k] ?? `{${k}}`));
}

/** Fill every [data-i18n] (textContent), [data-i18n-placeholder] and [data-i18n-label] under root. */
export function applyStatic(root = document) {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const el of root.querySelectorAll('[data-i18n]')) el.replaceChildren(...withCode(t(el.dataset.i18n)));
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
}

/** Text nodes for a string, with `backticked` parts as <code> (still text only: no HTML is parsed). */
export function withCode(text) {
  return text.split('`').map((part, i) => {
    if (i % 2 === 0) return document.createTextNode(part);
    const code = document.createElement('code');
    code.textContent = part;
    return code;
  });
}

export function setLang(next) {
  lang = next === 'zh' ? 'zh' : 'en';
  localStorage.setItem('feedlab.lang', lang);
  applyStatic();
  for (const fn of listeners) fn(lang);
}

/** Call fn(lang) after every language switch (to re-render dynamic text). */
export function onLangChange(fn) {
  listeners.push(fn);
}

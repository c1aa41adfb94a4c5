// Role: the page's small HTTP helpers for the non-transport endpoints (/time, /stats, /settings,
// /inspect, /messages). The four transports live in clients/*.js, one module per server route.

/** A `client=` id the server accepts: 1-64 of [A-Za-z0-9_-]. Random suffix so two tabs never share counters. */
export function newClientId(prefix) {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  const suffix = Array.from(bytes, (b) => (b % 36).toString(36)).join('');
  return `${prefix}-${suffix}`;
}

/** Builds a same-origin URL with query parameters, leaving out undefined/null ones. */
export function url(path, params = {}) {
  const u = new URL(path, location.href);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) u.searchParams.set(k, String(v));
  return u;
}

/** An HTTP answer that was not 2xx, with the server's JSON `error` text when it sent one. */
export class HttpError extends Error {
  constructor(status, body) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** Optional bearer token for servers started with --publish-token (kept for this tab only). */
let token = sessionStorage.getItem('feedlab.token') || '';
export function setToken(t) {
  token = t.trim();
  sessionStorage.setItem('feedlab.token', token);
}

async function readJson(res) {
  const text = await res.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/** GET or POST JSON; throws HttpError on a non-2xx answer. */
export async function request(method, path, { params, body, signal } = {}) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(url(path, params), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
    cache: 'no-store',
  });
  const json = await readJson(res);
  if (!res.ok) throw new HttpError(res.status, json);
  return json;
}

export const getJson = (path, params, signal) => request('GET', path, { params, signal });
export const postJson = (path, body, params) => request('POST', path, { body, params });

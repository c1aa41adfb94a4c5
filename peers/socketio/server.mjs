// A Socket.IO peer of feedlab's server, so the harness can measure Socket.IO beside feedlab's own
// transports, with the same instrument, in the same run, on the same machine.
//
// It speaks only the publishing side of the feedlab contract:
//   POST /messages  {"body":"hi","from":"ana"} -> 201 {"id":N}: builds {id, ts, kind, from, body} exactly
//                   as feedlab's feed does (ids from 1, ts in microseconds) and emits it as one event,
//                   io.emit("message", msg), to every connected client;
//   GET  /time      {"us":..,"epoch":..}: the clock and this feed's epoch, as feedlab's /time;
//   GET  /poll      (no cursor) {"messages":[],"next":HEAD,"gap":null,"epoch":..}: only the harness's
//                   start-cursor probe (which id a run starts after); asking with a cursor is refused.
// Everything else of the feed belongs to Socket.IO (/socket.io/, its polling and WebSocket transports),
// left at its defaults but for the flags below.
//
//   node server.mjs [--addr 127.0.0.1:8471] [--recovery] [--ping-interval MS] [--ping-timeout MS]
//
// Once bound it prints `feedlab listening on http://ADDR`, the line the suite waits for from feedlab's
// server; it exits on SIGTERM or SIGINT.

import http from "node:http";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Server } from "socket.io";

// The contract's limits, as feedlab's server applies them (crates/server/src/config.rs, state.rs).
const MAX_MESSAGE_BYTES = 64 * 1024;
const MAX_REQUEST_BYTES = MAX_MESSAGE_BYTES + 1024;
const MAX_FROM_CHARS = 64;
const EVENT = "message";

function usage(why) {
  console.error(`server.mjs: ${why}`);
  console.error("usage: node server.mjs [--addr HOST:PORT] [--recovery] [--ping-interval MS] [--ping-timeout MS]");
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      addr: { type: "string", default: "127.0.0.1:8471" },
      // Socket.IO's connectionStateRecovery: a client that reconnects within maxDisconnectionDuration gets
      // what it missed. Off by default, as in Socket.IO.
      recovery: { type: "boolean", default: false },
      // Engine.IO's heartbeat (defaults 25,000 and 20,000 ms); tests shorten it to see pongs answered.
      "ping-interval": { type: "string", default: "25000" },
      "ping-timeout": { type: "string", default: "20000" },
    },
    strict: true,
  }).values;
} catch (e) {
  usage(e.message);
}
const colon = args.addr.lastIndexOf(":");
const host = args.addr.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
const port = Number(args.addr.slice(colon + 1));
if (colon < 1 || !Number.isInteger(port) || port < 0 || port > 65535) usage(`--addr ${args.addr}: expected HOST:PORT`);
const pingInterval = Number(args["ping-interval"]);
const pingTimeout = Number(args["ping-timeout"]);
if (!(pingInterval > 0) || !(pingTimeout > 0)) usage("--ping-interval and --ping-timeout take milliseconds > 0");

// Microseconds since the Unix epoch: the wall clock's millisecond, refined by the monotonic clock, and never
// more than a millisecond away from the wall clock (performance.timeOrigin drifts from it over a long run).
function nowUs() {
  const wall = Date.now() * 1000;
  const fine = Math.round((performance.timeOrigin + performance.now()) * 1000);
  return Math.min(Math.max(fine, wall), wall + 999);
}

// Like feedlab's feed: the creation time in microseconds plus 20 random bits, below 2^53.
const epoch = nowUs() + Math.floor(Math.random() * 2 ** 20);
let head = 0;

function json(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

function refuse(res, status, error, field) {
  json(res, status, field ? { error, field } : { error });
}

function publish(req, res) {
  if ((req.headers["content-type"] ?? "").split(";")[0].trim() !== "application/json") {
    return refuse(res, 415, "expected Content-Type: application/json");
  }
  const chunks = [];
  let size = 0;
  let tooLarge = false;
  req.on("data", (chunk) => {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) tooLarge = true;
    else chunks.push(chunk);
  });
  req.on("end", () => {
    if (tooLarge) return refuse(res, 413, `a message body may be at most ${MAX_MESSAGE_BYTES} bytes`);
    const expected = 'expected a JSON object {"body": "...", "from": "..."}';
    let value;
    try {
      value = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch (e) {
      return refuse(res, 400, `${expected}: ${e.message}`, "body");
    }
    if (value === null || typeof value !== "object" || Array.isArray(value) || typeof value.body !== "string") {
      return refuse(res, 400, expected, "body");
    }
    const from = value.from ?? "";
    if (typeof from !== "string") return refuse(res, 400, expected, "from");
    if (Buffer.byteLength(value.body) > MAX_MESSAGE_BYTES) {
      return refuse(res, 413, `a message body may be at most ${MAX_MESSAGE_BYTES} bytes`);
    }
    if ([...from].length > MAX_FROM_CHARS) {
      return refuse(res, 400, `from must be at most ${MAX_FROM_CHARS} characters`, "from");
    }
    // Field order as feedlab's Message serializes: id, ts, kind, from, body.
    const msg = { id: ++head, ts: nowUs(), kind: "chat", from, body: value.body };
    io.emit(EVENT, msg);
    json(res, 201, { id: msg.id });
  });
}

function route(req, res) {
  const url = new URL(req.url, "http://peer");
  if (url.pathname === "/messages") {
    if (req.method === "POST") return publish(req, res);
  } else if (url.pathname === "/time") {
    if (req.method === "GET") return json(res, 200, { us: nowUs(), epoch });
  } else if (url.pathname === "/poll") {
    if (req.method !== "GET") return refuse(res, 405, "method not allowed on this endpoint");
    if (url.searchParams.has("after")) {
      return refuse(res, 404, "this Socket.IO peer answers GET /poll only as the start-cursor probe", "after");
    }
    return json(res, 200, { messages: [], next: head, gap: null, epoch });
  } else {
    return refuse(res, 404, "not found: this Socket.IO peer serves /socket.io/, POST /messages and GET /time");
  }
  refuse(res, 405, "method not allowed on this endpoint");
}

const httpServer = http.createServer(route);
const io = new Server(httpServer, {
  pingInterval,
  pingTimeout,
  ...(args.recovery ? { connectionStateRecovery: {} } : {}),
});

httpServer.on("error", (e) => {
  console.error(`server.mjs: ${e.message}`);
  process.exit(1);
});
httpServer.listen(port, host, () => {
  const a = httpServer.address();
  const shown = a.family === "IPv6" ? `[${a.address}]` : a.address;
  console.log(`feedlab listening on http://${shown}:${a.port}`);
  console.error(
    `socket.io peer: recovery ${args.recovery ? "on" : "off"}, pingInterval ${pingInterval} ms, pingTimeout ${pingTimeout} ms`,
  );
});

function stop() {
  io.close();
  httpServer.closeAllConnections();
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

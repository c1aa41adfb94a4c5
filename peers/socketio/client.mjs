// Socket.IO's own client, following the peer's feed: the reference the harness's Engine.IO client is
// checked against (crates/harness/tests/socketio.rs connects both at once and compares the ids).
//
//   node client.mjs --url http://127.0.0.1:PORT [--transport polling|websocket|upgrade]
//
// Prints one JSON line per event on stdout: {"connected":true,"transport":"polling"} once connected (the
// transport it is on then), {"upgraded":"websocket"} after an upgrade, {"id":N} for every message received,
// {"disconnected":"reason"} if the connection is lost. Exits when its stdin closes, or on SIGTERM.
//
// --transport: polling (transports: ["polling"]), websocket (transports: ["websocket"], the direct start),
// or upgrade (the default: polling first, then the upgrade to WebSocket, as browsers do).

import { parseArgs } from "node:util";
import { io } from "socket.io-client";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    transport: { type: "string", default: "upgrade" },
  },
  strict: true,
});
const transports = { polling: ["polling"], websocket: ["websocket"], upgrade: ["polling", "websocket"] }[
  values.transport
];
if (!values.url || !transports) {
  console.error("usage: node client.mjs --url http://HOST:PORT [--transport polling|websocket|upgrade]");
  process.exit(2);
}

const say = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
const socket = io(values.url, { transports, upgrade: values.transport === "upgrade" });
socket.on("connect", () => {
  const engine = socket.io.engine;
  say({ connected: true, transport: engine.transport.name });
  engine.once("upgrade", () => say({ upgraded: engine.transport.name }));
});
socket.on("message", (msg) => say({ id: msg.id }));
socket.on("disconnect", (reason) => say({ disconnected: reason }));
socket.on("connect_error", (e) => console.error(`connect_error: ${e.message}`));

function stop() {
  socket.off("disconnect");
  socket.disconnect();
  process.exit(0);
}
process.stdin.on("end", stop);
process.stdin.resume();
process.on("SIGTERM", stop);

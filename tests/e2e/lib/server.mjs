// Role: start the real `feedlab serve` for a test and stop it afterwards.
// The binary comes from FEEDLAB_BIN (default target/debug/feedlab, built with `cargo build -p feedlab`).
// It binds 127.0.0.1:0 (a free port) and prints one line `feedlab listening on http://127.0.0.1:PORT`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '../../..');
export const FEEDLAB_BIN = path.resolve(REPO, process.env.FEEDLAB_BIN || 'target/debug/feedlab');

/**
 * @param {string[]} extraArgs e.g. ['--disable', 'ws']
 * @param {{addr?: string}} options addr: listen address (default 127.0.0.1:0, a free port)
 * @returns {Promise<{url: string, stop: () => Promise<void>, stderr: () => string, resultsDir: string}>}
 */
export async function startServer(extraArgs = [], { addr = '127.0.0.1:0' } = {}) {
  if (!fs.existsSync(FEEDLAB_BIN)) throw new Error(`${FEEDLAB_BIN} not found: run \`cargo build -p feedlab\` first`);
  // An empty results directory of our own: the charts tab must show its "run feedlab run first" note.
  const resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'feedlab-e2e-results-'));
  const args = ['serve', '--addr', addr, '--ticker', '0/s', '--results', resultsDir, ...extraArgs];
  const child = spawn(FEEDLAB_BIN, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`feedlab did not print its address within 20 s\n${stderr}`)), 20_000);
    const lines = readline.createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const m = /^feedlab listening on (http:\/\/\S+)$/.exec(line.trim());
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/$/, ''));
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`feedlab exited early (code ${code}, signal ${signal})\n${stderr}`));
    });
  });

  return {
    url,
    resultsDir,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 6000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(resultsDir, { recursive: true, force: true });
    },
  };
}

/** One counter of one client on one transport, as the server counts it now (GET /stats?client=ID). */
export async function serverCounter(serverUrl, clientId, transport, name) {
  const res = await fetch(`${serverUrl}/stats?client=${encodeURIComponent(clientId)}`);
  if (!res.ok) throw new Error(`GET /stats: HTTP ${res.status}`);
  return Number((await res.json()).client.transports[transport][name]);
}

/** Polls `check` (async) until it returns something truthy, and returns that; fails after `timeoutMs`. */
export async function until(check, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

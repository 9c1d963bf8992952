// Starts a real `guard serve` (the guard-server binary of host-runtime/server)
// for the demo and the tests: loopback, port 0, the data directory given.
// Reads the address, the console's address and, on a first start, the
// bootstrap admin token and invite link from what the server prints; stops it with SIGTERM (or SIGKILL, as a crash).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The guard-server binary: $GUARD_SERVER, else the debug build in $CARGO_TARGET_DIR (or target/). */
export function serverBinary() {
  if (process.env.GUARD_SERVER) return process.env.GUARD_SERVER;
  const dir = process.env.CARGO_TARGET_DIR ? resolve(REPO, process.env.CARGO_TARGET_DIR) : join(REPO, 'target');
  const bin = join(dir, 'debug', 'guard-server');
  if (!existsSync(bin)) throw new Error(`no guard-server at ${bin}: build it with \`cargo build -p guard-server\``);
  return bin;
}

/**
 * `guard serve --listen 127.0.0.1:<port> --data-dir <dataDir> [...args]`.
 * Answers `{ url, port, token, consoleUrl, invite, process, stop(), kill(),
 * exited }` once it listens; `token` is the bootstrap admin token on a first
 * start, else null; `invite` the bootstrap admin's one-time console invite
 * link while no account has a console password, else null.
 */
export async function startGuardServer({ dataDir, port = 0, args = [], env = {}, log = false } = {}) {
  const child = spawn(serverBinary(), ['--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn', ...env },
  });
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; if (log) process.stderr.write(d); if (stderr.length > 65536) stderr = stderr.slice(-32768); });
  const lines = createInterface({ input: child.stdout });
  let token = null;
  let consoleUrl = null;
  let invite = null;
  const url = await new Promise((res, rej) => {
    lines.on('line', (line) => {
      const t = /^bootstrap admin token \(shown once\): (\S+)/.exec(line);
      if (t) token = t[1];
      const c = /^console: (\S+)/.exec(line);
      if (c) consoleUrl = c[1];
      const i = /^bootstrap admin invite \(one use, expires [^)]*\): (\S+)/.exec(line);
      if (i) invite = i[1];
      const m = /^listening on (\S+)/.exec(line);
      if (m) res(`http://${m[1]}`);
    });
    exited.then(({ code, signal }) => rej(new Error(`guard-server exited (${code ?? signal}) before listening: ${stderr.trim()}`)));
  });
  const stopWith = async (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return {
    url,
    port: Number(new URL(url).port),
    token,
    consoleUrl,
    invite,
    process: child,
    exited,
    stderr: () => stderr,
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
  };
}

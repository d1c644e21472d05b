// Small process and network helpers for the project's scripts (no dependencies: they run before `npm install`).
import { spawn } from 'node:child_process';
import { connect } from 'node:net';

/** The node flags every service runs with (`npm start`; the benchmarks start services the same way). */
export const SERVICE_NODE_ARGS = ['--enable-source-maps'];

/** Runs a command; resolves with its exit code (rejects on non-zero unless allowFail). */
export function run(cmd, args, { inherit = true, allowFail = false, env = process.env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: inherit ? 'inherit' : 'ignore', env, cwd });
    child.on('error', (err) => (allowFail ? resolve(127) : reject(err)));
    child.on('exit', (code, signal) => {
      const rc = code ?? (signal ? 128 : 1);
      if (rc !== 0 && !allowFail) reject(new Error(`${cmd} ${args.join(' ')} exited with ${rc}`));
      else resolve(rc);
    });
  });
}

/** True when a TCP connection to host:port opens within timeoutMs. */
export function tcpReachable(host, port, timeoutMs = 1500) {
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function waitForTcp(host, port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await tcpReachable(host, port)) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

export async function commandExists(cmd) {
  return (await run('sh', ['-c', `command -v ${cmd}`], { inherit: false, allowFail: true })) === 0;
}

export function log(msg) {
  process.stderr.write(`[xauth] ${msg}\n`);
}

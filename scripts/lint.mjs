#!/usr/bin/env node
// `npm run lint`: ESLint (type-aware, with the layering rules of eslint.config.js), Prettier's check,
// and madge's cycle check over every package's src. `npm test` runs the same checks before mocha.
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { ROOT } from './lib/environment.mjs';
import { log, run } from './lib/proc.mjs';

/** The packages' sources madge walks; type-only imports count, so a cycle of types fails too. */
const MADGE_DIRS = ['contracts/src', 'shared/src', 'services/*/src', 'cli/src', 'e2e/src'];

const CHECKS = [
  // Typed rules read the other packages' declarations: the build (`tsc -b`) must be current.
  { name: 'eslint', cmd: 'npx', args: ['eslint', '--max-warnings', '0', '.'] },
  { name: 'prettier', cmd: 'npx', args: ['prettier', '--check', '--log-level', 'warn', '.'] },
  // dist/ is the packages' builds (what `@xauth/*` resolves to): a cycle there is the same cycle as in src.
  {
    name: 'madge',
    cmd: 'sh',
    args: ['-c', `npx madge --circular --no-spinner --extensions ts --ts-config tsconfig.base.json --exclude '(^|/)dist/' ${MADGE_DIRS.join(' ')}`],
  },
];

/** Runs a check with its output held back, so checks running side by side print whole. */
function runCaptured({ cmd, args }) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => out.push(d));
    child.on('error', (err) => resolve({ code: 127, out: String(err) }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), out: Buffer.concat(out).toString() }));
  });
}

/**
 * Runs every check side by side (ESLint takes one core; Prettier and madge share the other), prints
 * each one's output as it ends, and resolves with the names of those that failed.
 */
export async function lint() {
  const failed = [];
  await Promise.all(
    CHECKS.map(async (check) => {
      const started = Date.now();
      const { code, out } = await runCaptured(check);
      if (out.trim()) process.stdout.write(`${out.trimEnd()}\n`);
      log(`lint: ${check.name} ${code === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      if (code !== 0) failed.push(check.name);
    }),
  );
  return failed;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run('npx', ['tsc', '-b'], { cwd: ROOT });
  const started = Date.now();
  const failed = await lint();
  log(failed.length ? `lint failed: ${failed.join(', ')}` : `lint passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exit(failed.length ? 1 : 0);
}

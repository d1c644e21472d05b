#!/usr/bin/env node
// `npm test`: prepares what the tests need (deps, build, broker, database, Chromium), runs the lint
// (`npm run lint`: ESLint, Prettier, madge; a violation fails the run) and then mocha over every
// package's compiled tests. Extra arguments go to mocha (e.g. `npm test -- --grep login`).
import { ensureEnvironment } from './lib/environment.mjs';
import { log, run } from './lib/proc.mjs';
import { lint } from './lint.mjs';

await ensureEnvironment({ purpose: 'test' });
const failed = await lint();
if (failed.length) {
  log(`lint failed (${failed.join(', ')}): fix it, or see \`npm run lint\``);
  process.exit(1);
}
const code = await run('npx', ['mocha', ...process.argv.slice(2)], { inherit: true, allowFail: true });
process.exit(code);

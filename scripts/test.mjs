#!/usr/bin/env node
// `npm test`: prepares what the tests need (deps, build, broker, database, Chromium) and runs mocha
// over every package's compiled tests. Extra arguments go to mocha (e.g. `npm test -- --grep login`).
import { ensureEnvironment } from './lib/environment.mjs';
import { run } from './lib/proc.mjs';

await ensureEnvironment({ purpose: 'test' });
const code = await run('npx', ['mocha', ...process.argv.slice(2)], { inherit: true, allowFail: true });
process.exit(code);

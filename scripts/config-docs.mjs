#!/usr/bin/env node
// Each service's environment variables (name, default, doc) as Markdown, from the config schemas
// themselves. After a build: `node scripts/config-docs.mjs` prints them; `--write` puts them into
// README.md between the config markers.
import { readFileSync, writeFileSync } from 'node:fs';
const shapes = {
  orchestrator: (await import('../services/orchestrator/dist/src/config.js')).orchestratorConfigShape,
  'browser-worker': (await import('../services/browser-worker/dist/src/config.js')).browserWorkerConfigShape,
  'dead-letters': (await import('../services/dead-letters/dist/src/config.js')).deadLettersConfigShape,
  gateway: (await import('../services/gateway/dist/src/config.js')).gatewayConfigShape,
  'x-sim': (await import('../services/x-sim/dist/src/config.js')).xsimConfigShape,
  'xauth CLI': (await import('../cli/dist/src/config.js')).cliConfigShape,
};
const common = new Set();
let out = '';
for (const [service, shape] of Object.entries(shapes)) {
  const rows = [];
  for (const [key, schema] of Object.entries(shape)) {
    if (service !== 'orchestrator' && common.has(key)) continue;
    let def = '';
    try {
      const v = schema.parse(undefined);
      def = v === undefined || (typeof v === 'object' && v !== null && !Object.keys(v).length) ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    } catch {
      def = '(required)';
    }
    if (/KEYS|TOKEN|SECRET|X_APPS/.test(key) && def.length > 40) def = '(development value)';
    rows.push(`| \`${key}\` | ${def ? `\`${def.replace(/\|/g, '\\|')}\`` : ''} | ${schema.description ?? ''} |`);
  }
  if (service === 'orchestrator')
    for (const k of [
      'NODE_ENV',
      'LOG_LEVEL',
      'XAUTH_NAMESPACE',
      'SHUTDOWN_TIMEOUT_MS',
      'AMQP_URL',
      'AMQP_URLS',
      'AMQP_QUORUM_GROUP_SIZE',
      'AMQP_CONFIRM_TIMEOUT_MS',
      'AMQP_PASSWORD',
      'DATABASE_POOL_SIZE',
      'HTTP_HOST',
      'HTTP_PORT',
    ])
      common.add(k);
  out += `\n#### ${service}${service === 'orchestrator' ? ' (the first rows are common to every service)' : ''}\n\n| variable | default | what |\n|---|---|---|\n${rows.join('\n')}\n`;
}

if (process.argv.includes('--write')) {
  const readme = new URL('../README.md', import.meta.url);
  const text = readFileSync(readme, 'utf8');
  const [before, rest] = text.split('<!-- config:start -->');
  const after = rest.split('<!-- config:end -->')[1];
  writeFileSync(readme, `${before}<!-- config:start -->\n${out}\n<!-- config:end -->${after}`);
} else {
  process.stdout.write(out);
}

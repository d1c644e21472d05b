#!/usr/bin/env node
import { CommanderError, type Command } from 'commander';
import { ConfigError } from '@xauth/shared/config';
import { UsageError } from './commands/dlq.command.js';
import { GatewayError } from './gateway.client.js';
import { buildProgram } from './program.js';

// Only @xauth/shared/config is loaded (not the whole kit: database, broker, telemetry), so the CLI starts fast.
// The one place that reads process.env and decides exit codes: 1 refused or failed, 2 usage.
let failed = false;
const program = buildProgram(process.env, {
  out: (text) => process.stdout.write(`${text}\n`),
  fail: () => {
    failed = true;
  },
});
// Subcommands built on their own do not inherit it: set it on each.
const overrideExit = (c: Command): void => {
  c.exitOverride();
  c.commands.forEach(overrideExit);
};
overrideExit(program);
try {
  await program.parseAsync(process.argv);
  process.exitCode = failed ? 1 : 0;
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof GatewayError) {
    process.stderr.write(`error: ${err.code}: ${err.message}\n`);
    process.exitCode = 1;
  } else if (err instanceof UsageError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = 2;
  } else if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

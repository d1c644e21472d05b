export { buildProgram } from './program.js';
export { cliConfigShape, resolveSettings, DEV_CLIENT, type CliSettings } from './config.js';
export { parseFilter } from './commands/dlq.command.js';

import { Command } from 'commander';
import { dlqCommand, type Output } from './commands/dlq.command.js';
import { tokensCommand } from './commands/tokens.command.js';
import { jobsCommand } from './commands/jobs.command.js';
import { loginsCommand } from './commands/logins.command.js';
import { campaignsCommand } from './commands/campaigns.command.js';
import { keysCommand } from './commands/keys.command.js';
import { accountsCommand } from './commands/accounts.command.js';
import { auditCommand } from './commands/audit.command.js';
import { clientsCommand } from './commands/clients.command.js';
import { resolveSettings, type CliFlags } from './config.js';
import { GatewayClient } from './gateway.client.js';

/** The `xauth` program; `env` is read once, when a command first needs the gateway. */
export function buildProgram(env: NodeJS.ProcessEnv, io: Output): Command {
  const program = new Command('xauth')
    .description('xauth operator CLI: talks to the gateway with client credentials')
    .option('--gateway <url>', 'gateway base URL (env XAUTH_GATEWAY_URL, default http://127.0.0.1:8080)')
    .option('--client-id <id>', 'client id (env XAUTH_CLIENT_ID; dev-admin outside production)')
    .option('--client-secret <secret>', 'client secret (env XAUTH_CLIENT_SECRET; the development secret outside production)')
    .showHelpAfterError();
  let client: GatewayClient | undefined;
  const gateway = () => (client ??= new GatewayClient(resolveSettings(program.opts<CliFlags>(), env)));
  program.addCommand(dlqCommand(gateway, io));
  program.addCommand(tokensCommand(gateway, io));
  program.addCommand(jobsCommand(gateway, io));
  program.addCommand(loginsCommand(gateway, io));
  program.addCommand(campaignsCommand(gateway, io));
  program.addCommand(keysCommand(gateway, io));
  program.addCommand(accountsCommand(gateway, io));
  program.addCommand(clientsCommand(gateway, io));
  program.addCommand(auditCommand(gateway, io));
  return program;
}

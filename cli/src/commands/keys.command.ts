import { Command } from 'commander';
import type { GatewayClient } from '../gateway.client.js';
import type { Output } from './dlq.command.js';
import { addEncryptionKeyCommands } from './encryption-keys.command.js';
import { addSigningKeyCommands } from './signing-keys.command.js';

/** `xauth keys ...`: a container; each kind of key adds its subcommands from its own file. */
export function keysCommand(client: () => GatewayClient, io: Output): Command {
  const keys = new Command('keys').description(
    'keys: encryption at rest (reencrypt, usage: scope keys:admin) and the JWT signing keys (list, rotate-signing: scope clients:admin)',
  );
  addEncryptionKeyCommands(keys, client, io);
  addSigningKeyCommands(keys, client, io);
  return keys;
}

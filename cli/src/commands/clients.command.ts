import { Command, InvalidArgumentError } from 'commander';
import { SERVICE_SCOPES, type ClientView, type ClientWithSecret } from '@xauth/contracts';
import { fields, table } from '../format.js';
import type { GatewayClient } from '../gateway.client.js';
import type { Output } from './dlq.command.js';

const scopeList = (v: string) => {
  const scopes = v.split(/[\s,]+/).filter(Boolean);
  const unknown = scopes.filter((s) => !(SERVICE_SCOPES as readonly string[]).includes(s));
  if (!scopes.length || unknown.length) throw new InvalidArgumentError(`scopes are a comma-separated list of ${SERVICE_SCOPES.join(', ')}`);
  return scopes;
};
const appList = (v: string) => v.split(/[\s,]+/).filter(Boolean);
const seconds = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number of seconds');
  return n;
};

function clientText(c: ClientView): string {
  return fields([
    ['client', c.clientId],
    ['name', c.name],
    ['scopes', c.scopes.join(' ')],
    ['apps', c.apps ? c.apps.join(' ') : 'every app'],
    ['state', c.disabledAt ? `disabled since ${c.disabledAt}` : 'enabled'],
    ['managed by', c.managedBy],
    ['previous secret until', c.previousSecretExpiresAt],
    ['created', c.createdAt],
    ['updated', c.updatedAt],
  ]);
}

/** `xauth clients ...`: API clients over the gateway (scope clients:admin). Secrets are printed once, never stored by the CLI. */
export function clientsCommand(gateway: () => GatewayClient, io: Output): Command {
  const client = () => gateway().withScope('clients:admin');
  const clients = new Command('clients').description('manage API clients (scope clients:admin)');
  const print = (json: boolean | undefined, value: unknown, text: () => string) => io.out(json ? JSON.stringify(value, null, 2) : text());
  const withSecret = (r: ClientWithSecret) => `${clientText(r.client)}\nsecret: ${r.clientSecret}\n(shown once: store it now; only its hash is kept)`;
  const path = (id: string) => `/v1/clients/${encodeURIComponent(id)}`;

  clients
    .command('list')
    .description('every client with its scopes and state')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      const r = await client().get<{ clients: ClientView[] }>('/v1/clients');
      print(o.json, r, () =>
        table(
          ['CLIENT', 'STATE', 'MANAGED BY', 'SCOPES'],
          r.clients.map((c) => [c.clientId, c.disabledAt ? 'disabled' : 'enabled', c.managedBy, c.scopes.join(' ')]),
        ),
      );
    });
  clients
    .command('show')
    .argument('<clientId>')
    .description('one client')
    .option('--json', 'JSON output')
    .action(async (id: string, o: { json?: boolean }) => {
      const c = await client().get<ClientView>(path(id));
      print(o.json, c, () => clientText(c));
    });
  clients
    .command('create')
    .argument('<clientId>')
    .description('create a client; its secret is generated and printed once')
    .requiredOption('--scopes <list>', `comma-separated: ${SERVICE_SCOPES.join(', ')}`, scopeList)
    .option('--name <name>', 'a readable name')
    .option('--apps <list>', 'comma-separated X apps whose tokens it may read (default: every app)', appList)
    .option('--json', 'JSON output')
    .action(async (id: string, o: { scopes: string[]; name?: string; apps?: string[]; json?: boolean }) => {
      const r = await client().post<ClientWithSecret>('/v1/clients', {
        clientId: id,
        scopes: o.scopes,
        ...(o.name ? { name: o.name } : {}),
        ...(o.apps ? { apps: o.apps } : {}),
      });
      print(o.json, r, () => withSecret(r));
    });
  clients
    .command('set-scopes')
    .argument('<clientId>')
    .description('replace the scopes; JWTs carrying a removed scope are refused at once')
    .requiredOption('--scopes <list>', 'comma-separated scopes', scopeList)
    .option('--json', 'JSON output')
    .action(async (id: string, o: { scopes: string[]; json?: boolean }) => {
      const c = await client().put<ClientView>(`${path(id)}/scopes`, { scopes: o.scopes });
      print(o.json, c, () => clientText(c));
    });
  clients
    .command('set-apps')
    .argument('<clientId>')
    .description('limit its token reads to these X apps (a read of another answers 403 APP_NOT_ALLOWED)')
    .option('--apps <list>', 'comma-separated X apps', appList)
    .option('--all', 'lift the limit: every app')
    .option('--json', 'JSON output')
    .action(async (id: string, o: { apps?: string[]; all?: boolean; json?: boolean }) => {
      if (!o.all && !o.apps?.length) throw new InvalidArgumentError('give --apps <list> or --all');
      const c = await client().put<ClientView>(`${path(id)}/apps`, { apps: o.all ? null : o.apps });
      print(o.json, c, () => clientText(c));
    });
  clients
    .command('rotate-secret')
    .argument('<clientId>')
    .description('a new secret (printed once); the previous one works for the overlap, then stops')
    .option('--overlap <seconds>', "how long the previous secret keeps working (default: the gateway's CLIENT_SECRET_OVERLAP_SECONDS)", seconds)
    .option('--json', 'JSON output')
    .action(async (id: string, o: { overlap?: number; json?: boolean }) => {
      const r = await client().post<ClientWithSecret>(`${path(id)}/secret/rotate`, o.overlap === undefined ? {} : { overlapSeconds: o.overlap });
      print(o.json, r, () => withSecret(r));
    });
  for (const [action, text] of [
    ['disable', 'refuse its API key and every JWT it holds, at once, on every replica'],
    ['enable', 'enable it again'],
  ] as const) {
    clients
      .command(action)
      .argument('<clientId>')
      .description(text)
      .option('--json', 'JSON output')
      .action(async (id: string, o: { json?: boolean }) => {
        const c = await client().post<ClientView>(`${path(id)}/${action}`, {});
        print(o.json, c, () => clientText(c));
      });
  }
  clients
    .command('delete')
    .argument('<clientId>')
    .description('delete the client: its API key and JWTs are refused at once')
    .action(async (id: string) => {
      await client().delete(path(id));
      io.out(`deleted client ${id}`);
    });
  return clients;
}

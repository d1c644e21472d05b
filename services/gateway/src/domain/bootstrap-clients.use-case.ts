import { SERVICE_SCOPES } from '@xauth/contracts';
import { ConfigError, type Logger } from '@xauth/shared';
import type { ClientLookup } from './client-authenticator.js';
import { hashSecret, verifySecret } from './secret-hash.rule.js';

export interface ClientSpec {
  clientId: string;
  clientSecret: string;
  scopes: string[];
  name?: string;
  /** The apps whose tokens it may read. @defaultValue every app */
  apps?: string[];
}

export interface ClientStore extends ClientLookup {
  /**
   * Creates the client, or replaces the secret hash, name and scopes of one bootstrap manages.
   * Never enables a disabled client, never touches one an operator manages (`kept`).
   */
  upsert(client: { clientId: string; secretHash: string; name: string; scopes: string[]; apps: string[] | null }): Promise<'created' | 'updated' | 'kept'>;
  countEnabled(): Promise<number>;
}

/** Upserted outside production only; its secret is public knowledge. */
export const DEV_CLIENT: ClientSpec = {
  clientId: 'dev-admin',
  clientSecret: 'dev-admin-secret',
  scopes: [...SERVICE_SCOPES],
  name: 'development admin (every scope)',
};

const REFUSED = 'NODE_ENV=production refuses development defaults';

/**
 * Upserts the configured clients (and, outside production, the development client), except those an
 * operator has changed over the API since (see ClientStore.upsert). In production,
 * refuses a gateway nobody could use (no client at all) or one still open to the development secret.
 */
export async function bootstrapClients(
  input: { production: boolean; clients: readonly ClientSpec[] | undefined },
  deps: { store: ClientStore; logger: Logger },
): Promise<void> {
  const specs = [...(input.clients ?? [])];
  const withDevClient = !input.production && !specs.some((c) => c.clientId === DEV_CLIENT.clientId);
  if (withDevClient) specs.push(DEV_CLIENT);
  const kept: string[] = [];
  for (const spec of specs) {
    const outcome = await deps.store.upsert({
      clientId: spec.clientId,
      secretHash: await hashSecret(spec.clientSecret),
      name: spec.name ?? spec.clientId,
      scopes: [...spec.scopes],
      apps: spec.apps ? [...spec.apps] : null,
    });
    if (outcome === 'kept') kept.push(spec.clientId);
  }
  if (specs.length) deps.logger.info('api clients upserted', { clientIds: specs.map((c) => c.clientId).filter((id) => !kept.includes(id)) });
  // An operator's word (a disable, new scopes, a rotated secret) outlives restarts: the row is theirs now.
  if (kept.length) deps.logger.warn('BOOTSTRAP_CLIENTS entries left as operators changed them', { clientIds: kept });
  if (!input.production) {
    if (withDevClient)
      deps.logger.warn(`development client "${DEV_CLIENT.clientId}" with its well-known secret and every scope is enabled (NODE_ENV is not production)`);
    return;
  }
  const problems: string[] = [];
  if (!input.clients?.length && (await deps.store.countEnabled()) === 0) {
    problems.push(`BOOTSTRAP_CLIENTS: is not set and no API client exists, so nobody could call the gateway (${REFUSED})`);
  }
  const dev = await deps.store.findById(DEV_CLIENT.clientId);
  if (dev && !dev.disabledAt && (await verifySecret(DEV_CLIENT.clientSecret, dev.secretHash))) {
    problems.push(`BOOTSTRAP_CLIENTS: client "${DEV_CLIENT.clientId}" still has the development secret; give it a new secret there or disable it (${REFUSED})`);
  }
  if (problems.length) throw new ConfigError(problems);
}

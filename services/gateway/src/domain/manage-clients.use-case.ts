import { randomBytes } from 'node:crypto';
import { ErrorCodes, type ClientView, type ClientWithSecret, type CreateClientRequest } from '@xauth/contracts';
import { AppError } from '@xauth/shared';
import type { ApiClient, ClientLookup } from './client-authenticator.js';
import type { ClientState, ClientStates } from './client-states.js';
import { hashSecret } from './secret-hash.rule.js';

/** What an operator changes on a client; every change makes the row the operator's (bootstrap leaves it alone). */
export interface ClientChange {
  scopes?: string[];
  /** The apps whose tokens it may read; null: every app. */
  apps?: string[] | null;
  disabled?: boolean;
  /** A new secret hash; the current one becomes the previous, accepted until `previousExpiresAt`. */
  secret?: { hash: string; previousExpiresAt: Date };
}

export interface ClientAdminStore extends ClientLookup {
  list(): Promise<ApiClient[]>;
  /** Undefined when the id is taken. */
  create(client: { clientId: string; secretHash: string; name: string; scopes: string[]; apps: string[] | null }): Promise<ApiClient | undefined>;
  update(clientId: string, change: ClientChange): Promise<ApiClient | undefined>;
  delete(clientId: string): Promise<boolean>;
  states(): Promise<ClientState[]>;
}

/** A client as operators see it: no secret, no hash. */
export function clientView(c: ApiClient): ClientView {
  return {
    clientId: c.clientId,
    name: c.name,
    scopes: [...c.scopes],
    apps: c.apps ? [...c.apps] : null,
    managedBy: c.managedBy,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
    disabledAt: c.disabledAt?.toISOString() ?? null,
    previousSecretExpiresAt:
      c.previousSecretHash && c.previousSecretExpiresAt && c.previousSecretExpiresAt.getTime() > Date.now() ? c.previousSecretExpiresAt.toISOString() : null,
  };
}

/** 32 random bytes: the secret is answered once and only its scrypt hash is kept. */
function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

function notFound(clientId: string): AppError {
  return new AppError({ code: ErrorCodes.CLIENT_NOT_FOUND, message: `no client ${clientId}`, httpStatus: 404, retryable: false });
}

/**
 * Clients as operators manage them over the API. Changes that refuse JWTs (disable, delete, fewer
 * scopes) are applied to this replica's client states at once; the others see them on their next
 * reload (CLIENT_STATE_REFRESH_MS).
 */
export class ClientAdmin {
  constructor(private readonly deps: { store: ClientAdminStore; states: ClientStates; secretOverlapSeconds: number }) {}

  async list(): Promise<ClientView[]> {
    return (await this.deps.store.list()).map(clientView);
  }

  async get(clientId: string): Promise<ClientView> {
    const c = await this.deps.store.findById(clientId);
    if (!c) throw notFound(clientId);
    return clientView(c);
  }

  async create(request: CreateClientRequest): Promise<ClientWithSecret> {
    const clientSecret = newSecret();
    const created = await this.deps.store.create({
      clientId: request.clientId,
      secretHash: await hashSecret(clientSecret),
      name: request.name ?? request.clientId,
      scopes: [...new Set(request.scopes)],
      apps: request.apps ? [...new Set(request.apps)] : null,
    });
    if (!created) throw new AppError({ code: ErrorCodes.CLIENT_EXISTS, message: `client ${request.clientId} exists`, httpStatus: 409, retryable: false });
    this.deps.states.apply(created);
    return { client: clientView(created), clientSecret };
  }

  async rotateSecret(clientId: string, overlapSeconds = this.deps.secretOverlapSeconds): Promise<ClientWithSecret> {
    const clientSecret = newSecret();
    const updated = await this.change(clientId, {
      secret: { hash: await hashSecret(clientSecret), previousExpiresAt: new Date(Date.now() + overlapSeconds * 1000) },
    });
    return { client: updated, clientSecret };
  }

  setScopes(clientId: string, scopes: string[]): Promise<ClientView> {
    return this.change(clientId, { scopes: [...new Set(scopes)] });
  }

  /** Token reads outside `apps` answer 403 APP_NOT_ALLOWED (on every replica within one state reload); null lifts the limit. */
  setApps(clientId: string, apps: string[] | null): Promise<ClientView> {
    return this.change(clientId, { apps: apps ? [...new Set(apps)] : null });
  }

  setDisabled(clientId: string, disabled: boolean): Promise<ClientView> {
    return this.change(clientId, { disabled });
  }

  async delete(clientId: string): Promise<{ clientId: string; deleted: true }> {
    if (!(await this.deps.store.delete(clientId))) throw notFound(clientId);
    this.deps.states.forget(clientId);
    return { clientId, deleted: true };
  }

  private async change(clientId: string, change: ClientChange): Promise<ClientView> {
    const updated = await this.deps.store.update(clientId, change);
    if (!updated) throw notFound(clientId);
    this.deps.states.apply(updated);
    return clientView(updated);
  }
}

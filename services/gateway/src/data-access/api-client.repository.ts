import type { DataSource, Repository } from 'typeorm';
import type { ApiClient } from '../domain/client-authenticator.js';
import type { ClientStore } from '../domain/bootstrap-clients.use-case.js';
import type { ClientState } from '../domain/client-states.js';
import type { ClientAdminStore, ClientChange } from '../domain/manage-clients.use-case.js';
import { ApiClientEntity } from './api-client.entity.js';

/** api_clients; hands out plain objects, never entities. */
export class ApiClientRepository implements ClientStore, ClientAdminStore {
  private readonly repo: Repository<ApiClientEntity>;

  constructor(private readonly ds: DataSource) {
    this.repo = ds.getRepository(ApiClientEntity);
  }

  async findById(clientId: string): Promise<ApiClient | undefined> {
    const row = await this.repo.findOneBy({ clientId });
    return row ? toClient(row) : undefined;
  }

  async list(): Promise<ApiClient[]> {
    return (await this.repo.find({ order: { clientId: 'ASC' } })).map(toClient);
  }

  async upsert(client: {
    clientId: string;
    secretHash: string;
    name: string;
    scopes: string[];
    apps: string[] | null;
  }): Promise<'created' | 'updated' | 'kept'> {
    // Raw SQL: one statement that keeps created_at, leaves disabled_at and operator-managed rows
    // alone, and bumps the token version when a scope is taken away.
    const rows: Array<{ created: boolean }> = await this.ds.query(
      `INSERT INTO ${this.table()} AS c (client_id, secret_hash, name, scopes, apps) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (client_id) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, name = EXCLUDED.name, scopes = EXCLUDED.scopes, apps = EXCLUDED.apps,
         token_version = c.token_version + CASE WHEN c.scopes <@ EXCLUDED.scopes THEN 0 ELSE 1 END,
         updated_at = CASE WHEN c.scopes = EXCLUDED.scopes AND c.name = EXCLUDED.name THEN c.updated_at ELSE now() END
       WHERE c.managed_by = 'bootstrap'
       RETURNING (xmax = 0) AS created`,
      [client.clientId, client.secretHash, client.name, client.scopes, client.apps],
    );
    if (!rows.length) return 'kept';
    return rows[0]!.created ? 'created' : 'updated';
  }

  async create(client: { clientId: string; secretHash: string; name: string; scopes: string[]; apps: string[] | null }): Promise<ApiClient | undefined> {
    const rows: unknown[] = await this.ds.query(
      `INSERT INTO ${this.table()} (client_id, secret_hash, name, scopes, apps, managed_by) VALUES ($1, $2, $3, $4, $5, 'operator')
       ON CONFLICT (client_id) DO NOTHING RETURNING client_id`,
      [client.clientId, client.secretHash, client.name, client.scopes, client.apps],
    );
    return rows.length ? this.findById(client.clientId) : undefined;
  }

  async update(clientId: string, change: ClientChange): Promise<ApiClient | undefined> {
    const sets: string[] = ["managed_by = 'operator'", 'updated_at = now()'];
    const params: unknown[] = [clientId];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (change.scopes) {
      set('scopes', change.scopes);
      // JWTs carrying a scope the client no longer holds are refused from now on.
      sets.push(`token_version = token_version + CASE WHEN scopes <@ $${params.length}::text[] THEN 0 ELSE 1 END`);
    }
    if (change.apps !== undefined) set('apps', change.apps);
    if (change.disabled !== undefined) sets.push(change.disabled ? 'disabled_at = COALESCE(disabled_at, now())' : 'disabled_at = NULL');
    if (change.secret) {
      sets.push('previous_secret_hash = secret_hash');
      set('secret_hash', change.secret.hash);
      set('previous_secret_expires_at', change.secret.previousExpiresAt);
    }
    const [rows] = (await this.ds.query(`UPDATE ${this.table()} SET ${sets.join(', ')} WHERE client_id = $1 RETURNING client_id`, params)) as [
      unknown[],
      number,
    ];
    return rows.length ? this.findById(clientId) : undefined;
  }

  /** Replaces a hash made with weaker scrypt parameters, unless the secret changed meanwhile (then the row is left alone). */
  async rehash(clientId: string, previousHash: string, newHash: string): Promise<boolean> {
    const [, affected] = (await this.ds.query(`UPDATE ${this.table()} SET secret_hash = $3 WHERE client_id = $1 AND secret_hash = $2`, [
      clientId,
      previousHash,
      newHash,
    ])) as [unknown, number];
    return affected > 0;
  }

  async delete(clientId: string): Promise<boolean> {
    return ((await this.repo.delete({ clientId })).affected ?? 0) > 0;
  }

  async states(): Promise<ClientState[]> {
    const rows: Array<{ client_id: string; disabled: boolean; token_version: number; apps: string[] | null }> = await this.ds.query(
      `SELECT client_id, disabled_at IS NOT NULL AS disabled, token_version, apps FROM ${this.table()}`,
    );
    return rows.map((r) => ({ clientId: r.client_id, disabled: r.disabled, tokenVersion: r.token_version, apps: r.apps }));
  }

  async countEnabled(): Promise<number> {
    return this.repo.createQueryBuilder('c').where('c.disabled_at IS NULL').getCount();
  }

  private table(): string {
    return this.repo.metadata.tablePath
      .split('.')
      .map((part) => `"${part}"`)
      .join('.');
  }
}

function toClient(row: ApiClientEntity): ApiClient {
  return { ...row, scopes: [...row.scopes], apps: row.apps ? [...row.apps] : null };
}

import { IsNull, type DataSource, type Repository } from 'typeorm';
import type { ApiClient } from '../domain/client-authenticator.js';
import type { ClientStore } from '../domain/bootstrap-clients.use-case.js';
import { ApiClientEntity } from './api-client.entity.js';

/** api_clients; hands out plain objects, never entities. */
export class ApiClientRepository implements ClientStore {
  private readonly repo: Repository<ApiClientEntity>;

  constructor(private readonly ds: DataSource) {
    this.repo = ds.getRepository(ApiClientEntity);
  }

  async findById(clientId: string): Promise<ApiClient | undefined> {
    const row = await this.repo.findOneBy({ clientId });
    return row ? { ...row, scopes: [...row.scopes] } : undefined;
  }

  async upsert(client: { clientId: string; secretHash: string; name: string; scopes: string[] }): Promise<void> {
    // Raw SQL: an upsert that must keep created_at and re-enable the client.
    await this.ds.query(
      `INSERT INTO ${this.table()} (client_id, secret_hash, name, scopes) VALUES ($1, $2, $3, $4)
       ON CONFLICT (client_id) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, name = EXCLUDED.name, scopes = EXCLUDED.scopes, disabled_at = NULL`,
      [client.clientId, client.secretHash, client.name, client.scopes],
    );
  }

  async countEnabled(): Promise<number> {
    return this.repo.countBy({ disabledAt: IsNull() });
  }

  private table(): string {
    return this.repo.metadata.tablePath.split('.').map((part) => `"${part}"`).join('.');
  }
}

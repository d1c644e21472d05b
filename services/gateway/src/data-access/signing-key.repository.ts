import type { DataSource, EntityManager } from 'typeorm';
import type { NewSigningKey, SigningKeyStore, StoredSigningKey } from '../domain/signing-keys.use-case.js';
import { SigningKeyEntity } from './signing-key.entity.js';

/** signing_keys; private keys stay encrypted here, decrypting is the caller's business. */
export class SigningKeyRepository implements SigningKeyStore {
  private readonly table: string;

  constructor(
    private readonly ds: DataSource,
    private readonly schema: string,
  ) {
    this.table = ds
      .getRepository(SigningKeyEntity)
      .metadata.tablePath.split('.')
      .map((part) => `"${part}"`)
      .join('.');
  }

  async ensureActive(create: () => NewSigningKey, now: Date): Promise<StoredSigningKey> {
    return this.locked(async (em) => {
      const [existing] = await this.select(em, 'activates_at <= $1 AND (retired_at IS NULL OR retired_at > $1) ORDER BY activates_at DESC LIMIT 1', [now]);
      if (existing) return existing;
      return this.insert(em, create(), now);
    });
  }

  listPublished(now: Date): Promise<StoredSigningKey[]> {
    return this.select(this.ds.manager, 'retired_at IS NULL OR retired_at > $1 ORDER BY activates_at DESC', [now]);
  }

  listAll(): Promise<StoredSigningKey[]> {
    return this.select(this.ds.manager, 'true ORDER BY activates_at DESC', []);
  }

  async rotate(
    next: NewSigningKey,
    times: { now: Date; activatesAt: Date; previousRetiresAt: Date },
  ): Promise<{ pending: StoredSigningKey } | { rotated: true }> {
    return this.locked(async (em) => {
      const [pending] = await this.select(em, 'activates_at > $1 AND (retired_at IS NULL OR retired_at > $1) ORDER BY activates_at DESC LIMIT 1', [times.now]);
      if (pending) return { pending };
      await em.query(`UPDATE ${this.table} SET retired_at = $1 WHERE retired_at IS NULL`, [times.previousRetiresAt]);
      await this.insert(em, next, times.activatesAt);
      return { rotated: true as const };
    });
  }

  /** Replicas starting or rotating together: one at a time, the others wait here and read what it did. */
  private locked<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(async (em) => {
      await em.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${this.schema}.signing_keys`]);
      return work(em);
    });
  }

  private async insert(em: EntityManager, key: NewSigningKey, activatesAt: Date): Promise<StoredSigningKey> {
    const rows: Row[] = await em.query(
      `INSERT INTO ${this.table} (kid, algorithm, public_jwk, private_key_enc, activates_at) VALUES ($1, $2, $3::jsonb, $4, $5) RETURNING *`,
      [key.kid, key.algorithm, JSON.stringify(key.publicJwk), key.privateKeyEnc, activatesAt],
    );
    return toStored(rows[0]!);
  }

  private async select(em: EntityManager, where: string, params: unknown[]): Promise<StoredSigningKey[]> {
    const rows: Row[] = await em.query(`SELECT * FROM ${this.table} WHERE ${where}`, params);
    return rows.map(toStored);
  }
}

type Row = Record<string, unknown>;

function toStored(r: Row): StoredSigningKey {
  return {
    kid: r.kid as string,
    algorithm: r.algorithm as string,
    publicJwk: r.public_jwk as StoredSigningKey['publicJwk'],
    privateKeyEnc: r.private_key_enc as string,
    createdAt: new Date(r.created_at as string),
    activatesAt: new Date(r.activates_at as string),
    retiredAt: r.retired_at ? new Date(r.retired_at as string) : null,
  };
}

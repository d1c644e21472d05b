import { IsNull, type DataSource } from 'typeorm';
import type { SigningKeyStore, StoredSigningKey } from '../domain/signing-keys.use-case.js';
import { SigningKeyEntity } from './signing-key.entity.js';

/** signing_keys; private keys stay encrypted here, decrypting is the caller's business. */
export class SigningKeyRepository implements SigningKeyStore {
  constructor(private readonly ds: DataSource, private readonly schema: string) {}

  async ensureActive(create: () => StoredSigningKey): Promise<StoredSigningKey> {
    return this.ds.transaction(async (em) => {
      // Replicas starting together: the first creates the key, the others wait here and read it.
      await em.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${this.schema}.signing_keys`]);
      const repo = em.getRepository(SigningKeyEntity);
      const existing = await repo.findOne({ where: { retiredAt: IsNull() }, order: { createdAt: 'DESC' } });
      if (existing) return toStored(existing);
      const key = create();
      await em.query(
        `INSERT INTO ${tablePath(repo.metadata.tablePath)} (kid, algorithm, public_jwk, private_key_enc) VALUES ($1, $2, $3::jsonb, $4)`,
        [key.kid, key.algorithm, JSON.stringify(key.publicJwk), key.privateKeyEnc],
      );
      return key;
    });
  }

  async listPublished(): Promise<Array<{ kid: string; publicJwk: StoredSigningKey['publicJwk'] }>> {
    const rows = await this.ds.getRepository(SigningKeyEntity).find({ where: { retiredAt: IsNull() }, order: { createdAt: 'DESC' } });
    return rows.map((r) => ({ kid: r.kid, publicJwk: r.publicJwk }));
  }
}

function tablePath(path: string): string {
  return path.split('.').map((part) => `"${part}"`).join('.');
}

function toStored(row: SigningKeyEntity): StoredSigningKey {
  return { kid: row.kid, algorithm: row.algorithm, publicJwk: row.publicJwk, privateKeyEnc: row.privateKeyEnc };
}

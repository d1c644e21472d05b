import type pg from 'pg';
import type { ArtifactFile, ArtifactParams } from '@xauth/contracts';
import { quoteSchema } from '@xauth/shared';
import {
  artifactName,
  type ArtifactInfo,
  type ArtifactStore,
  type NewArtifact,
  type RetentionRules,
  type StoredArtifact,
} from '../failure-artifacts/artifact-store.js';

interface Row {
  job_id: string;
  attempt: number;
  file: string;
  content_type: string;
  size: number;
  created_at: Date;
  bytes?: Buffer;
}

/**
 * Failure artifacts in the worker's schema (`failure_artifacts`), so every replica serves every
 * artifact. Retention runs in one statement on the database's clock: replicas sweeping at the same
 * time delete the same rows, and their clocks need not agree.
 */
export class PgArtifactStore implements ArtifactStore {
  private readonly table: string;

  constructor(
    private readonly db: pg.Pool,
    schema: string,
  ) {
    this.table = `${quoteSchema(schema)}.failure_artifacts`;
  }

  async put(a: NewArtifact): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.table} (job_id, attempt, file, content_type, bytes, size) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (job_id, attempt, file) DO UPDATE SET content_type = EXCLUDED.content_type, bytes = EXCLUDED.bytes, size = EXCLUDED.size, created_at = now()`,
      [a.jobId, a.attempt, a.file, a.contentType, a.bytes, a.bytes.length],
    );
  }

  async get(p: ArtifactParams): Promise<StoredArtifact | undefined> {
    const { rows } = await this.db.query<Row>(
      `SELECT job_id, attempt, file, content_type, size, created_at, bytes FROM ${this.table} WHERE job_id = $1 AND attempt = $2 AND file = $3`,
      [p.jobId, Number(p.attempt), p.file],
    );
    return rows[0] ? { ...info(rows[0]), bytes: rows[0].bytes! } : undefined;
  }

  async list(jobId: string): Promise<ArtifactInfo[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT job_id, attempt, file, content_type, size, created_at FROM ${this.table} WHERE job_id = $1 ORDER BY attempt, file`,
      [jobId],
    );
    return rows.map(info);
  }

  /** An attempt's age is its newest file's; from the newest attempt back, those past `maxBytes` in all, or past retention, go. */
  async sweep(rules: RetentionRules, now?: Date): Promise<{ removed: number; bytes: number }> {
    const { rows } = await this.db.query<{ removed: string; bytes: string }>(
      `WITH attempts AS (
         SELECT job_id, attempt, sum(size) AS bytes, max(created_at) AS last FROM ${this.table} GROUP BY job_id, attempt
       ), ranked AS (
         SELECT job_id, attempt, bytes, last, sum(bytes) OVER (ORDER BY last DESC, job_id, attempt ROWS UNBOUNDED PRECEDING) AS newer_total FROM attempts
       ), doomed AS (
         SELECT job_id, attempt, bytes FROM ranked
         WHERE last < COALESCE($1::timestamptz, now()) - make_interval(secs => $2::float8 / 1000) OR newer_total > $3::bigint
       ), deleted AS (
         DELETE FROM ${this.table} a USING doomed d WHERE a.job_id = d.job_id AND a.attempt = d.attempt RETURNING a.job_id, a.attempt
       )
       SELECT (SELECT count(DISTINCT (job_id, attempt)) FROM deleted) AS removed,
              (SELECT COALESCE(sum(bytes), 0) FROM attempts) - (SELECT COALESCE(sum(bytes), 0) FROM doomed) AS bytes`,
      [now ?? null, rules.retentionMs, rules.maxBytes],
    );
    return { removed: Number(rows[0]!.removed), bytes: Number(rows[0]!.bytes) };
  }
}

function info(r: Row): ArtifactInfo {
  const key = { jobId: r.job_id, attempt: r.attempt, file: r.file as ArtifactFile };
  return { ...key, name: artifactName(key), contentType: r.content_type, size: r.size, createdAt: r.created_at };
}

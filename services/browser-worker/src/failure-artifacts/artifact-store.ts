import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARTIFACT_FILES, ArtifactParams, type ArtifactFile } from '@xauth/contracts';
import { REDACTED, errorMessage, redactText, type Logger } from '@xauth/shared';
import { COOKIE_PAIRS, redactTraceJson } from './trace-redaction.js';
import { redactZip } from './zip-redactor.js';

/** One artifact's place: `<jobId>/<attempt>/<file>` is its name. */
export interface ArtifactKey {
  jobId: string;
  attempt: number;
  file: ArtifactFile;
}
export interface NewArtifact extends ArtifactKey {
  contentType: string;
  bytes: Buffer;
}
export interface ArtifactInfo extends ArtifactKey {
  name: string;
  contentType: string;
  size: number;
  createdAt: Date;
}
export interface StoredArtifact extends ArtifactInfo {
  bytes: Buffer;
}
/** Attempts older than `retentionMs` go; then the oldest attempts until all that is left fits `maxBytes`. */
export interface RetentionRules {
  retentionMs: number;
  maxBytes: number;
}

/**
 * The seam between failure artifacts and where they are kept: every worker replica writes to, and
 * serves from, one store, so any replica answers any artifact link. `PgArtifactStore` (the
 * worker's schema) implements it; an S3-compatible bucket could implement it the same way.
 * Stores are given names `ArtifactParams` accepted only, and redacted bytes only.
 */
export interface ArtifactStore {
  /** Keeps one artifact, replacing one of the same name (a reopened job runs attempt 1 again). */
  put(artifact: NewArtifact): Promise<void>;
  get(params: ArtifactParams): Promise<StoredArtifact | undefined>;
  /** A job's artifacts (no bytes), by attempt and file. */
  list(jobId: string): Promise<ArtifactInfo[]>;
  /** Applies the retention rules to whole attempts; `now` defaults to the store's clock. */
  sweep(rules: RetentionRules, now?: Date): Promise<{ removed: number; bytes: number }>;
}

/** The name of an artifact, as events and the job view carry it. */
export function artifactName(key: ArtifactKey): string {
  return `${key.jobId}/${key.attempt}/${key.file}`;
}

/**
 * Where one attempt's artifacts go. `secrets` (the OAuth state, a captured code) are removed from
 * every text written, besides anything that looks like an OAuth parameter. Undefined when the job
 * id or attempt could not make a name.
 */
export function artifactsForAttempt(store: ArtifactStore, jobId: string, attempt: number, secrets: readonly string[]): AttemptArtifacts | undefined {
  const parsed = ArtifactParams.safeParse({ jobId: jobId.toLowerCase(), attempt: String(attempt), file: 'page.html' });
  if (!parsed.success) return undefined;
  return new AttemptArtifacts(store, parsed.data.jobId, Number(parsed.data.attempt), secrets);
}

/** One attempt's artifacts. Every text is redacted before it reaches the store. */
export class AttemptArtifacts {
  private readonly secrets: string[] = [];

  constructor(
    private readonly store: ArtifactStore,
    private readonly jobId: string,
    private readonly attempt: number,
    secrets: readonly string[],
  ) {
    this.addSecrets(secrets);
  }

  /** More values no artifact may contain (the browser's cookies: its X session). Short ones would mask noise. */
  addSecrets(values: readonly string[]): void {
    for (const v of values) if (v.length >= 8 && !this.secrets.includes(v)) this.secrets.push(v);
  }

  redact(text: string): string {
    let out = redactTraceJson(text);
    for (const s of this.secrets) out = out.split(s).join(REDACTED);
    return redactText(out).replace(COOKIE_PAIRS, `$1=${REDACTED}`);
  }

  /** Keeps a binary file as it is (a screenshot: pixels carry no URL). */
  putBinary(file: ArtifactFile, data: Buffer): Promise<string> {
    return this.put(file, data);
  }

  putText(file: ArtifactFile, text: string): Promise<string> {
    return this.put(file, Buffer.from(this.redact(text), 'utf8'));
  }

  /**
   * `write` saves Playwright's raw trace to the path it is given (a private temporary folder on
   * this machine); only its redacted copy reaches the store, and the raw one is removed.
   */
  async putTrace(write: (rawPath: string) => Promise<void>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'xauth-trace-'));
    try {
      const raw = join(dir, 'trace.raw');
      await write(raw);
      return await this.put(
        'trace.zip',
        redactZip(await readFile(raw), (t) => this.redact(t), this.secrets),
      );
    } finally {
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private async put(file: ArtifactFile, bytes: Buffer): Promise<string> {
    const key = { jobId: this.jobId, attempt: this.attempt, file };
    await this.store.put({ ...key, contentType: ARTIFACT_FILES[file], bytes });
    return artifactName(key);
  }
}

/** Runs the sweep now and every `intervalMs`; a failed sweep is logged and tried again next time. */
export function startArtifactSweeper(store: ArtifactStore, rules: RetentionRules, intervalMs: number, logger: Logger): { stop(): void } {
  const run = () =>
    store
      .sweep(rules)
      .then(({ removed, bytes }) => {
        if (removed) logger.info('failure artifacts pruned', { removed, bytesLeft: bytes });
      })
      .catch((err: unknown) => logger.warn('artifact sweep failed', { error: errorMessage(err) }));
  void run();
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

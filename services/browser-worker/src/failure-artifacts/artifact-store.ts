import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ARTIFACT_FILES, ArtifactParams, type ArtifactFile } from '@xauth/contracts';
import { REDACTED, errorMessage, redactText, type Logger } from '@xauth/shared';
import { COOKIE_PAIRS, redactTraceJson } from './trace-redaction.js';
import { redactZip } from './zip-redactor.js';

export interface ArtifactStoreOptions {
  root: string;
  retentionMs: number;
  maxBytes: number;
  logger: Logger;
}

export interface StoredArtifact { path: string; size: number; contentType: string }

interface AttemptFolder { path: string; bytes: number; modified: number }

const RAW_TRACE = 'trace.raw';
/**
 * Failure artifacts on disk: `<root>/<jobId>/<attempt>/<file>`, named `<jobId>/<attempt>/<file>`.
 * Only names that `ArtifactParams` accepts are ever joined into a path.
 */
export class ArtifactStore {
  /** Folders being written right now: a sweep leaves them alone. */
  private readonly writing = new Map<string, number>();

  constructor(private readonly opts: ArtifactStoreOptions) {}

  /**
   * Where one attempt's artifacts go. `secrets` (the OAuth state, a captured code) are removed
   * from every text written, besides anything that looks like an OAuth parameter.
   */
  forAttempt(jobId: string, attempt: number, secrets: readonly string[]): AttemptArtifacts | undefined {
    const parsed = ArtifactParams.safeParse({ jobId: jobId.toLowerCase(), attempt: String(attempt), file: 'page.html' });
    if (!parsed.success) return undefined;
    const { jobId: id, attempt: n } = parsed.data;
    return new AttemptArtifacts(join(this.opts.root, id, n), `${id}/${n}`, secrets, this.writing);
  }

  async open(params: ArtifactParams): Promise<StoredArtifact | undefined> {
    const p = ArtifactParams.parse(params);
    const path = join(this.opts.root, p.jobId, p.attempt, p.file);
    try {
      const s = await stat(path);
      return s.isFile() ? { path, size: s.size, contentType: ARTIFACT_FILES[p.file] } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Removes attempt folders past the retention age, then the oldest until the total fits `maxBytes`. */
  async sweep(now = Date.now()): Promise<{ removed: number; bytes: number }> {
    const folders = (await this.attemptFolders()).sort((a, b) => a.modified - b.modified);
    let total = folders.reduce((sum, f) => sum + f.bytes, 0);
    let removed = 0;
    for (const f of folders) {
      if (this.writing.has(f.path)) continue;
      if (f.modified >= now - this.opts.retentionMs && total <= this.opts.maxBytes) continue;
      await rm(f.path, { recursive: true, force: true });
      total -= f.bytes;
      removed++;
    }
    await this.removeEmptyJobFolders();
    if (removed) this.opts.logger.info('failure artifacts pruned', { removed, bytesLeft: total });
    return { removed, bytes: total };
  }

  private async attemptFolders(): Promise<AttemptFolder[]> {
    const out: AttemptFolder[] = [];
    for (const job of await listDirs(this.opts.root)) {
      for (const attempt of await listDirs(join(this.opts.root, job))) {
        const path = join(this.opts.root, job, attempt);
        let bytes = 0;
        let modified = (await stat(path).catch(() => undefined))?.mtimeMs ?? 0;
        for (const file of await readdir(path).catch(() => [] as string[])) {
          const s = await stat(join(path, file)).catch(() => undefined);
          if (!s) continue;
          bytes += s.size;
          modified = Math.max(modified, s.mtimeMs);
        }
        out.push({ path, bytes, modified });
      }
    }
    return out;
  }

  private async removeEmptyJobFolders(): Promise<void> {
    for (const job of await listDirs(this.opts.root)) {
      const path = join(this.opts.root, job);
      if ((await readdir(path).catch(() => ['?'])).length === 0) await rm(path, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

async function listDirs(path: string): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name);
}

/** One attempt's folder, created on the first write. Every text is redacted before it reaches the disk. */
export class AttemptArtifacts {
  private readonly secrets: string[] = [];

  constructor(
    private readonly folder: string,
    private readonly prefix: string,
    secrets: readonly string[],
    private readonly writing: Map<string, number>,
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

  /** Writes a binary file as it is (a screenshot: pixels carry no URL). */
  putBinary(file: ArtifactFile, data: Buffer): Promise<string> {
    return this.put(file, data);
  }

  putText(file: ArtifactFile, text: string): Promise<string> {
    return this.put(file, this.redact(text));
  }

  /** `write` saves Playwright's raw trace to the path it is given; only its redacted copy is kept. */
  async putTrace(write: (rawPath: string) => Promise<void>): Promise<string> {
    return this.inFolder(async () => {
      const raw = join(this.folder, RAW_TRACE);
      try {
        await write(raw);
        const clean = redactZip(await readFile(raw), (t) => this.redact(t), this.secrets);
        await writeFile(join(this.folder, 'trace.zip'), clean);
        return `${this.prefix}/trace.zip`;
      } finally {
        await rm(raw, { force: true }).catch(() => undefined);
      }
    });
  }

  private put(file: ArtifactFile, data: Buffer | string): Promise<string> {
    return this.inFolder(async () => {
      await writeFile(join(this.folder, file), data);
      return `${this.prefix}/${file}`;
    });
  }

  private async inFolder<T>(fn: () => Promise<T>): Promise<T> {
    this.writing.set(this.folder, (this.writing.get(this.folder) ?? 0) + 1);
    try {
      await mkdir(this.folder, { recursive: true });
      return await fn();
    } finally {
      const left = (this.writing.get(this.folder) ?? 1) - 1;
      if (left > 0) this.writing.set(this.folder, left);
      else this.writing.delete(this.folder);
    }
  }
}

/** Runs the sweep now and every `intervalMs`; a failed sweep is logged and tried again next time. */
export function startArtifactSweeper(store: ArtifactStore, intervalMs: number, logger: Logger): { stop(): void } {
  const run = () => store.sweep().catch((err: unknown) => logger.warn('artifact sweep failed', { error: errorMessage(err) }));
  void run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

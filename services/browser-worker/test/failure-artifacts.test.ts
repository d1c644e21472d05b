import { randomBytes } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import { expect } from 'chai';
import pg from 'pg';
import { createLogger, defaultServiceDatabaseUrl, defaultServiceRole, provisionServiceDatabases, quoteSchema, schemaName } from '@xauth/shared';
import { artifactsForAttempt } from '../src/failure-artifacts/artifact-store.js';
import { migrateWorkerSchema } from '../src/data-access/database.js';
import { PgArtifactStore } from '../src/data-access/pg-artifact.store.js';
import { readZip, redactZip, writeZip } from '../src/failure-artifacts/zip-redactor.js';
import { DATABASE_URL } from './support/pool.fixture.js';

const logger = createLogger({ service: 'browser-worker-test', silent: true });
const JOB = '0b5f8a52-3c1e-4d7a-9f00-1234567890ab';
const OTHER = '1b5f8a52-3c1e-4d7a-9f00-1234567890ab';

describe('failure artifacts in PostgreSQL', () => {
  const schema = schemaName(`test-${randomBytes(4).toString('hex')}`, 'browser_worker');
  // As the worker's own role, which owns the schema (the superuser only sets it up).
  const db = new pg.Pool({ connectionString: defaultServiceDatabaseUrl('browser_worker'), max: 4 });
  let store: PgArtifactStore;
  before(async () => {
    await provisionServiceDatabases(DATABASE_URL, [{ role: defaultServiceRole('browser_worker'), schemas: [schema] }]);
    await migrateWorkerSchema({ url: defaultServiceDatabaseUrl('browser_worker'), schema, logger });
    store = new PgArtifactStore(db, schema);
  });
  beforeEach(async () => {
    await db.query(`TRUNCATE ${quoteSchema(schema)}.failure_artifacts`);
  });
  after(async () => {
    await db.query(`DROP SCHEMA IF EXISTS ${quoteSchema(schema)} CASCADE`);
    await db.end();
  });

  it('when a trace zip is redacted, then text entries lose the secrets and OAuth parameters, binary ones keep their size, and the zip reads back', () => {
    const secret = 'st4te-value-0123456789';
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1]), Buffer.from(secret), Buffer.from([0, 2])]);
    const zip = writeZip([
      { name: 'trace.network', data: Buffer.from(`{"url":"http://127.0.0.1:9/cb?state=${secret}&code=abc123"}`) },
      { name: 'resources/frame.png', data: png },
    ]);
    const out = readZip(
      redactZip(
        zip,
        (t) =>
          t
            .split(secret)
            .join('[REDACTED]')
            .replace(/code=[^&"]+/g, 'code=[REDACTED]'),
        [secret],
      ),
    );
    expect(out.map((e) => e.name)).to.deep.equal(['trace.network', 'resources/frame.png']);
    expect(out[0]!.data.toString()).to.equal('{"url":"http://127.0.0.1:9/cb?state=[REDACTED]&code=[REDACTED]"}');
    expect(out[1]!.data.length).to.equal(png.length);
    expect(out[1]!.data.includes(Buffer.from(secret))).to.equal(false);
  });

  it('when an attempt writes HTML, then the given secrets and OAuth query values are redacted before the store sees them', async () => {
    const into = artifactsForAttempt(store, JOB.toUpperCase(), 2, ['state-abcdefgh-123'])!;
    const name = await into.putText('page.html', '<a href="/cb?code=XYZ987&state=state-abcdefgh-123">state-abcdefgh-123</a>');
    expect(name).to.equal(`${JOB}/2/page.html`);
    const { rows } = await db.query(`SELECT convert_from(bytes, 'UTF8') AS html, size FROM ${quoteSchema(schema)}.failure_artifacts`);
    expect(rows).to.have.length(1);
    expect(rows[0].html).not.to.contain('state-abcdefgh-123').and.not.to.contain('XYZ987');
    const found = await store.get({ jobId: JOB, attempt: '2', file: 'page.html' });
    expect(found).to.include({ contentType: 'text/html; charset=utf-8', size: Buffer.byteLength(rows[0].html), name });
    expect(found!.bytes.toString('utf8')).to.equal(rows[0].html);
    expect(await store.get({ jobId: JOB, attempt: '2', file: 'trace.zip' })).to.equal(undefined);
    expect((await store.list(JOB)).map((a) => a.name)).to.deep.equal([name]);
    expect(artifactsForAttempt(store, '../../etc', 1, [])).to.equal(undefined);
  });

  it('when a trace is kept, then only its redacted copy reaches the store, and the same name written again replaces it', async () => {
    const into = artifactsForAttempt(store, JOB, 1, ['st4te-value-0123456789'])!;
    let rawPath = '';
    const write = (text: string) => async (path: string) => {
      rawPath = path;
      await writeFile(path, writeZip([{ name: 'trace.network', data: Buffer.from(text) }]));
    };
    await into.putTrace(write('{"url":"/cb?state=st4te-value-0123456789"}'));
    await into.putTrace(write('{"url":"/cb?state=st4te-value-0123456789&second=1"}'));
    const kept = await store.get({ jobId: JOB, attempt: '1', file: 'trace.zip' });
    expect(readZip(kept!.bytes)[0]!.data.toString()).to.equal('{"url":"/cb?state=[REDACTED]&second=1"}');
    expect(await store.list(JOB)).to.have.length(1);
    expect(
      await stat(rawPath).then(
        () => true,
        () => false,
      ),
      'the raw trace is removed',
    ).to.equal(false);
  });

  it("when a trace's network log is redacted, then every cookie and credential header value is gone, names kept", () => {
    const into = artifactsForAttempt(store, JOB, 1, [])!;
    into.addSecrets(['cookie-value-from-the-context']);
    const line = JSON.stringify({
      request: {
        cookies: [{ name: 'auth_token', value: 'sess1234567890' }],
        headers: [
          { name: 'Cookie', value: 'auth_token=sess1234567890; lang=en' },
          { name: 'Accept', value: 'text/html' },
        ],
      },
      response: { headers: [{ name: 'set-cookie', value: 'cf_clearance=abc; path=/' }] },
      note: 'cookie-value-from-the-context',
    });
    const out = JSON.parse(into.redact(line));
    expect(out.request.cookies).to.deep.equal([{ name: 'auth_token', value: '[REDACTED]' }]);
    expect(out.request.headers).to.deep.equal([
      { name: 'Cookie', value: '[REDACTED]' },
      { name: 'Accept', value: 'text/html' },
    ]);
    expect(out.response.headers[0].value).to.equal('[REDACTED]');
    expect(out.note).to.equal('[REDACTED]');
    expect(into.redact('document.cookie = "auth_token=sess1234567890; ct0=abcdef"')).not.to.contain('sess1234567890').and.not.to.contain('abcdef');
  });

  it('when the sweep runs, then attempts past retention go, then the oldest until the total fits, whole attempts at a time', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const attempt = async (job: string, n: number, files: Array<[string, number]>, ageMs: number) => {
      for (const [file, bytes] of files) {
        await db.query(
          `INSERT INTO ${quoteSchema(schema)}.failure_artifacts (job_id, attempt, file, content_type, bytes, size, created_at) VALUES ($1, $2, $3, 'x', $4, $5, $6)`,
          [job, n, file, Buffer.alloc(bytes), bytes, new Date(now.getTime() - ageMs)],
        );
      }
    };
    await attempt(JOB, 1, [['page.html', 100]], 10_000); // past retention
    await attempt(
      JOB,
      2,
      [
        ['page.html', 300],
        ['screenshot.png', 100],
      ],
      3_000,
    ); // oldest within retention: over budget
    await attempt(OTHER, 1, [['page.html', 400]], 2_000);
    await attempt(OTHER, 2, [['page.html', 100]], 1_000);
    expect(await store.sweep({ retentionMs: 5_000, maxBytes: 600 }, now)).to.deep.equal({ removed: 2, bytes: 500 });
    expect(await store.list(JOB)).to.deep.equal([]);
    expect((await store.list(OTHER)).map((a) => a.attempt)).to.deep.equal([1, 2]);
    expect(await store.sweep({ retentionMs: 5_000, maxBytes: 600 }, now)).to.deep.equal({ removed: 0, bytes: 500 });
  });
});

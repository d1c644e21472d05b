import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import {
  DEV_ENCRYPTION_KEYS,
  Keyring,
  createLogger,
  defaultServiceDatabaseUrl,
  defaultServiceRole,
  dropSchema,
  openDatabase,
  provisionServiceDatabases,
} from '@xauth/shared';
import { entities } from '../src/data-access/entities/index.js';
import { migrations } from '../src/data-access/migrations/index.js';
import { Store } from '../src/data-access/store.js';
import type { OrchestratorDeps } from '../src/domain/deps.js';
import { reopenJob } from '../src/domain/use-cases/reopen-job.use-case.js';

describe('orchestrator: reopening a job on a real PostgreSQL', function () {
  this.timeout(60_000);
  let ds: DataSource;
  let deps: OrchestratorDeps;
  const schema = `test_${randomBytes(4).toString('hex')}_orchestrator`;

  before(async () => {
    await provisionServiceDatabases('postgres://postgres@127.0.0.1:5432/postgres', [{ role: defaultServiceRole('orchestrator'), schemas: [schema] }]);
    ds = await openDatabase({
      url: defaultServiceDatabaseUrl('orchestrator'),
      schema,
      entities,
      migrations,
      applicationName: 'reopen-test',
      logger: createLogger({ service: 'reopen-test', silent: true }),
    });
    deps = {
      store: new Store(ds),
      keyring: new Keyring(DEV_ENCRYPTION_KEYS),
      logger: createLogger({ service: 'reopen-test', silent: true }),
      apps: [{ name: 'xauth-dev', clientId: 'cid', redirectUri: 'http://127.0.0.1:9/cb' }],
      settings: { authorizeUrl: 'http://127.0.0.1:9/authorize', jobTtlMs: 60_000 },
    } as unknown as OrchestratorDeps;
  });
  after(async () => {
    await dropSchema(ds, schema);
    await ds.destroy();
  });

  async function insertJob(accountId: string, status: string, createdAt: Date): Promise<string> {
    const jobId = randomUUID();
    await ds.query(
      `INSERT INTO authorization_jobs (job_id, account_id, account_key, app, profile_id, scopes, status, attempt, redirect_uri, state_enc, verifier_enc, deadline, error_code, created_at)
      VALUES ($1, $2, $2, 'xauth-dev', 'p', 's', $3, 2, 'http://127.0.0.1:9/cb', 'x', 'x', now(), 'BLOCKED', $4)`,
      [jobId, accountId, status, createdAt],
    );
    return jobId;
  }
  const statusOf = async (jobId: string) => (await ds.query('SELECT status FROM authorization_jobs WHERE job_id = $1', [jobId]))[0].status;
  const outboxRows = async () => (await ds.query('SELECT count(*)::int AS n FROM outbox'))[0].n;

  it('when the account has another active job, then the reopen is refused with JOB_NOT_REOPENABLE and nothing is written', async () => {
    await insertJob('acct_busy', 'running', new Date(Date.now() - 60_000));
    const failed = await insertJob('acct_busy', 'failed', new Date());
    const err = await reopenJob(deps, failed, { dryRun: false, by: 'ops', reason: 'try' }).then(
      () => ({ code: 'none', message: 'reopened' }),
      (e: unknown) => e as { code: string; message: string },
    );
    expect(err).to.include({ code: 'JOB_NOT_REOPENABLE' });
    expect(err.message).to.contain('became active meanwhile');
    expect(await statusOf(failed)).to.equal('failed');
    expect(await outboxRows()).to.equal(0);
  });

  it('when a failed job is reopened dry and then for real, then the dry run writes nothing and the real one dispatches it with a fresh state', async () => {
    const jobId = await insertJob('acct_ok', 'dead_lettered', new Date());
    expect(await reopenJob(deps, jobId, { dryRun: true, by: 'ops', reason: 'look' })).to.deep.equal({ jobId, dryRun: true, reopened: true, requests: 0 });
    expect(await statusOf(jobId)).to.equal('dead_lettered');
    const real = await reopenJob(deps, jobId, { dryRun: false, by: 'ops', reason: 'go' });
    expect(real).to.include({ jobId, reopened: true });
    const [row] = await ds.query('SELECT status, attempt, error_code, state_enc FROM authorization_jobs WHERE job_id = $1', [jobId]);
    expect(row).to.include({ status: 'dispatched', attempt: 1, error_code: null });
    expect(row.state_enc).not.to.equal('x');
    const [sent] = await ds.query(`SELECT payload FROM outbox WHERE message_id = $1`, [real.messageId]);
    expect(sent.payload).to.include({ jobId, attempt: 1 });
    expect(sent.payload.authorizeUrl).to.contain(`state=${encodeURIComponent(deps.keyring.decrypt(row.state_enc, jobId))}`);
  });
});

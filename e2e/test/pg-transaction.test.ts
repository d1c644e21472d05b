import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import pg from 'pg';
import { inPgTransaction } from '@xauth/shared';
import { TcpProxy } from '../src/index.js';

/**
 * The raw-pg transactions (the GoLogin call budget, the breakers' store) when PostgreSQL's
 * connection breaks between two queries: mocha fails a test on any uncaught exception, as Node
 * ends a service on one, so the first test fails if a checked-out client's 'error' goes unheard.
 */
describe('a PostgreSQL transaction whose connection breaks (real PostgreSQL, TCP proxy in between)', function () {
  this.timeout(30_000);
  let proxy: TcpProxy;
  let pool: pg.Pool;

  beforeEach(async () => {
    proxy = await TcpProxy.open('127.0.0.1', 5432);
    pool = new pg.Pool({ connectionString: `postgres://postgres@${proxy.address}/postgres`, max: 2 });
  });
  afterEach(async () => {
    await pool.end().catch(() => undefined);
    await proxy.close();
  });

  it('when the connection is reset between two queries, then the transaction fails with the error, nothing is thrown uncaught, and the next one works', async () => {
    const failed = await inPgTransaction(pool, async (client) => {
      await client.query('SELECT 1');
      proxy.cut();
      // The reset arrives while no query runs: only the client's 'error' event hears it.
      await sleep(300);
      await client.query('SELECT 1');
    }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failed, 'the transaction failed').to.be.instanceOf(Error);
    await sleep(100);
    expect(await inPgTransaction(pool, async (client) => (await client.query<{ n: number }>('SELECT 2 AS n')).rows[0]!.n)).to.equal(2);
  });

  it('when the work throws, then it is rolled back and the client goes back to the pool', async () => {
    const err = await inPgTransaction(pool, async (client) => {
      await client.query('CREATE TABLE IF NOT EXISTS pg_temp.rolled_back (n int)');
      throw new Error('work failed');
    }).catch((e: unknown) => e);
    expect((err as Error).message).to.equal('work failed');
    const { rows } = await pool.query<{ n: string }>("SELECT count(*) AS n FROM pg_tables WHERE tablename = 'rolled_back'");
    expect(Number(rows[0]!.n)).to.equal(0);
    expect(pool.totalCount).to.be.at.most(2);
    expect(pool.idleCount).to.be.at.least(1);
  });
});

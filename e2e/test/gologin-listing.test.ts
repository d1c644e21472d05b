import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import pg from 'pg';
import { SharedCallBudget, createGoLoginCallsTable, pgPoolSql } from '@xauth/shared';
import { GoLoginDirectory } from '@xauth/orchestrator';
import { startXSim, type XSim } from '@xauth/x-sim';

/** x-sim's GoLogin invalidates the token past 5 calls in any 2 s (GoLogin's is 300 a minute: the same rule, faster). */
const WINDOW_MS = 2_000;
const GOLOGIN_LIMIT = 5;
/** The replicas' budget stays under it with room for calls that leave late and arrive together (as 40 + 240 of GoLogin's 300). */
const BUDGET = 3;
const PROFILES = 150; // 5 pages of 30

describe('GoLogin profile listing paced by a budget the replicas share (real x-sim, PostgreSQL)', function () {
  this.timeout(60_000);
  const schema = `test_${randomBytes(4).toString('hex')}_listing`;
  let db: pg.Pool;
  let sim: XSim;

  before(async () => {
    db = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres', max: 4 });
    await db.query(`CREATE SCHEMA "${schema}"`);
    const client = await db.connect();
    await client.query(`SET search_path TO "${schema}"`);
    await createGoLoginCallsTable({ query: (sql: string) => client.query(sql) } as unknown as Parameters<typeof createGoLoginCallsTable>[0]);
    client.release(true);
  });
  after(async () => {
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.end();
  });
  beforeEach(async () => {
    sim = await startXSim({ userCount: PROFILES, gologinRateLimitPerMinute: GOLOGIN_LIMIT, gologinRateLimitWindowMs: WINDOW_MS });
  });
  afterEach(async () => {
    await sim.stop();
  });

  const directory = (budget?: SharedCallBudget) => new GoLoginDirectory(sim.url, 'xsim-gologin-token', 5_000, budget);

  it('when two orchestrator replicas list 5 pages each at once, then their shared budget (3 per window) paces the pages: both listings are complete and GoLogin keeps the token', async () => {
    const budget = () => new SharedCallBudget(pgPoolSql(db), schema, BUDGET, WINDOW_MS);
    const started = Date.now();
    const listings = await Promise.all([directory(budget()).listProfiles(), directory(budget()).listProfiles()]);
    expect(listings.map((l) => [l.complete, l.links.length])).to.deep.equal([
      [true, PROFILES],
      [true, PROFILES],
    ]);
    expect(sim.state.gologinTokenRevoked, 'the GoLogin token invalidated').to.equal(false);
    expect(Date.now() - started, 'ten pages, three a window: the last waited three windows').to.be.at.least(3 * WINDOW_MS - 100);
  });

  it('when the same two listings run unpaced, then GoLogin invalidates the token (what the budget prevents)', async () => {
    const listings = await Promise.allSettled([directory().listProfiles(), directory().listProfiles()]);
    expect(sim.state.gologinTokenRevoked).to.equal(true);
    expect(listings.some((l) => l.status === 'rejected' || !l.value.complete)).to.equal(true);
  });
});

import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import pg from 'pg';
import { DEFAULT_BREAKER_POLICY, admit, closedRecord, onFailure, onProbeAbandoned, onSuccess, type BreakerPolicy } from '../src/breaker/breaker.rule.js';
import { CircuitBreakers1766000000000 } from '../src/breaker/breaker.migration.js';
import { CircuitBreaker } from '../src/breaker/circuit-breaker.js';
import { CircuitBreakers } from '../src/breaker/circuit-breakers.js';
import { PgBreakerStore } from '../src/breaker/pg-breaker.store.js';
import { MAX_DEFERRALS, decideFailure } from '../src/bus/failure-policy.js';
import { openDatabase } from '../src/db/data-source.js';
import { pgPoolSql } from '../src/db/sql-runner.js';
import { AppError, TransientError } from '../src/errors.js';
import { createLogger } from '../src/logger.js';
import { Metrics } from '../src/metrics.js';
import { waitUntil } from './support/wait.js';

const policy: BreakerPolicy = { failureThreshold: 3, openMs: 1_000, maxOpenMs: 4_000, probeLeaseMs: 500 };
const boom = new TransientError({ code: 'GOLOGIN_UNAVAILABLE', message: 'GoLogin answered 503' });

describe('circuit breaker state machine (plain inputs)', () => {
  it('when failures reach the threshold, then it opens for openMs; fewer, or a success between, keep it closed', () => {
    let r = closedRecord(policy);
    r = onFailure(r, 0, policy, 'a');
    r = onFailure(r, 0, policy, 'b');
    expect(r).to.include({ state: 'closed', failures: 2 });
    expect(onFailure(onSuccess(r, policy), 0, policy, 'c')).to.include({ state: 'closed', failures: 1 });
    r = onFailure(r, 100, policy, 'c');
    expect(r).to.include({ state: 'open', openedUntil: 1_100, lastError: 'c' });
    expect(admit(r, 600, policy)).to.deep.equal({ kind: 'reject', waitMs: 500 });
  });

  it('when a weighted failure counts as the threshold (refused credentials), then one opens it', () => {
    expect(onFailure(closedRecord(policy), 0, policy, 'invalid_client', 3)).to.include({ state: 'open' });
  });

  it('when the open window ends, then one caller probes (half-open with a lease) and the others are refused until the lease runs out', () => {
    const open = onFailure(onFailure(onFailure(closedRecord(policy), 0, policy, 'x'), 0, policy, 'x'), 0, policy, 'x');
    const probe = admit(open, 1_000, policy);
    if (probe.kind !== 'probe') throw new Error('expected a probe');
    expect(probe.next).to.include({ state: 'half_open', probeLeaseUntil: 1_500 });
    expect(admit(probe.next, 1_200, policy)).to.deep.equal({ kind: 'reject', waitMs: 300 });
    expect(admit(probe.next, 1_500, policy).kind, 'a crashed prober does not wedge it').to.equal('probe');
    expect(admit(onProbeAbandoned(probe.next, 1_100), 1_100, policy).kind, 'an abandoned probe frees it at once').to.equal('probe');
  });

  it('when the probe fails, then it opens again for twice as long, up to maxOpenMs; when it succeeds, then it closes', () => {
    let r = onFailure(closedRecord(policy), 0, policy, 'x', 3);
    const windows: number[] = [];
    for (let i = 0; i < 4; i++) {
      const p = admit(r, r.openedUntil, policy);
      if (p.kind !== 'probe') throw new Error('expected a probe');
      r = onFailure(p.next, r.openedUntil, policy, 'still down');
      windows.push(r.openMs);
    }
    expect(windows).to.deep.equal([2_000, 4_000, 4_000, 4_000]);
    const p = admit(r, r.openedUntil, policy);
    if (p.kind !== 'probe') throw new Error('expected a probe');
    expect(onSuccess(p.next, policy)).to.deep.equal(closedRecord(policy));
    expect(onSuccess(r, policy), 'a straggler success while open changes nothing').to.equal(r);
  });

  it('when an outage lasts 2 minutes or 2 hours, then the deferred work does not spend MAX_DEFERRALS before it ends', () => {
    // Deferred work comes back when the breaker's window ends (retryAfterMs), one probe at a time fails, the window doubles.
    const tiers = [1_000, 5_000, 30_000, 120_000, 600_000];
    const deferralsWithin = (outageMs: number) => {
      const p = DEFAULT_BREAKER_POLICY;
      let t = 0;
      let deferrals = 0;
      let window = p.openMs;
      while (t < outageMs) {
        const d = decideFailure(new TransientError({ code: 'CIRCUIT_OPEN', message: 'open', deferred: true, retryAfterMs: window }), 1, 5, tiers, deferrals);
        if (d.action !== 'retry' || !d.deferred) return Infinity;
        t += d.delayMs;
        deferrals++;
        window = Math.min(p.maxOpenMs, window * 2);
      }
      return deferrals;
    };
    expect(deferralsWithin(120_000)).to.be.at.most(5);
    expect(deferralsWithin(2 * 3_600_000)).to.be.below(MAX_DEFERRALS);
  });
});

describe('circuit breaker shared by two replicas (real PostgreSQL)', function () {
  this.timeout(30_000);
  const url = 'postgres://postgres@127.0.0.1:5432/postgres';
  const schema = `test_${randomBytes(4).toString('hex')}_breakers`;
  const logger = createLogger({ service: 'breaker-test', silent: true });
  let db: pg.Pool;
  const metrics: Metrics[] = [];

  before(async () => {
    const ds = await openDatabase({
      url,
      schema,
      entities: [],
      migrations: [CircuitBreakers1766000000000],
      poolSize: 2,
      applicationName: 'breaker-test',
      logger,
    });
    await ds.destroy();
    db = new pg.Pool({ connectionString: url, max: 6 });
  });
  after(async () => {
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.end();
  });

  /** A replica: its own breaker instance (own cache) over the shared table. */
  function replica(name: string, over: Partial<BreakerPolicy> = {}): CircuitBreaker {
    const m = new Metrics('breaker-test');
    metrics.push(m);
    return new CircuitBreakers({ store: new PgBreakerStore(pgPoolSql(db), schema), policy: { ...policy, ...over }, cacheMs: 200, logger, metrics: m }).get(
      name,
      'GoLogin',
    );
  }
  const refusal = async (p: Promise<unknown>): Promise<AppError> => {
    try {
      await p;
    } catch (err) {
      return err as AppError;
    }
    throw new Error('expected a refusal');
  };

  it('when one replica sees the failures, then the breaker opens for both: neither calls, the work is deferred with a retryAfterMs', async () => {
    const [a, b] = [replica('gologin:one'), replica('gologin:one')];
    expect((await b.admit()).probe).to.equal(false);
    for (let i = 0; i < 3; i++) await a.failure(boom);
    // b trusts the closed state it read for cacheMs, then asks the table again.
    await waitUntil(
      () =>
        b.admit().then(
          () => false,
          () => true,
        ),
      'the other replica to see the breaker open',
    );
    for (const r of [a, b]) {
      const err = await refusal(r.admit());
      expect(err).to.be.instanceOf(TransientError);
      expect(err).to.include({ code: 'CIRCUIT_OPEN', deferred: true, retryable: true });
      expect(err.retryAfterMs).to.be.within(1_000, 1_400);
      expect(err.message).to.contain('GoLogin').and.contain('GoLogin answered 503');
    }
  });

  it('when the open window ends, then exactly one replica gets the probe; its success closes the breaker for both', async () => {
    const [a, b] = [replica('gologin:two', { openMs: 300 }), replica('gologin:two', { openMs: 300 })];
    for (let i = 0; i < 3; i++) await a.failure(boom);
    await db.query(`UPDATE "${schema}".circuit_breakers SET opened_until = clock_timestamp() WHERE name = 'gologin:two'`);
    const outcomes = await Promise.allSettled([a.admit(), b.admit(), a.admit(), b.admit()]);
    const probes = outcomes.filter((o) => o.status === 'fulfilled' && o.value.probe);
    expect(probes, 'probes granted').to.have.length(1);
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.code)).to.deep.equal([
      'CIRCUIT_OPEN',
      'CIRCUIT_OPEN',
      'CIRCUIT_OPEN',
    ]);
    await a.success();
    const { rows } = await db.query(`SELECT state, failures FROM "${schema}".circuit_breakers WHERE name = 'gologin:two'`);
    expect(rows).to.deep.equal([{ state: 'closed', failures: 0 }]);
    expect((await b.admit()).probe).to.equal(false);
    expect(await metricValue('xauth_circuit_breaker_transitions_total', { breaker: 'gologin:two', to: 'closed' })).to.equal(1);
  });

  it('when the probe fails, then the breaker opens again for twice as long for both replicas', async () => {
    const [a, b] = [replica('x-web'), replica('x-web')];
    for (let i = 0; i < 3; i++) await b.failure(boom);
    await db.query(`UPDATE "${schema}".circuit_breakers SET opened_until = clock_timestamp() WHERE name = 'x-web'`);
    expect((await a.admit()).probe).to.equal(true);
    await a.failure(boom);
    expect((await refusal(a.admit())).retryAfterMs).to.be.within(1_900, 2_400);
    const { rows } = await db.query(`SELECT state, open_ms FROM "${schema}".circuit_breakers WHERE name = 'x-web'`);
    expect(rows).to.deep.equal([{ state: 'open', open_ms: 2_000 }]);
  });

  it('when a call has just failed, then refusal() names the deferral only if the breaker is open now (tripped or probe failed), and claims no probe', async () => {
    const [a, b] = [replica('gologin:three'), replica('gologin:three')];
    await a.failure(boom);
    expect(await a.refusal(), 'one failure, still closed: the job spends its attempt').to.equal(undefined);
    await a.failure(boom);
    await a.failure(boom);
    const tripped = await a.refusal();
    expect(tripped).to.include({ code: 'CIRCUIT_OPEN', deferred: true });
    expect(tripped!.retryAfterMs).to.be.within(1_000, 1_400);
    await db.query(`UPDATE "${schema}".circuit_breakers SET opened_until = clock_timestamp() WHERE name = 'gologin:three'`);
    await waitUntil(async () => (await b.refusal()) === undefined, 'the window to end for the other replica');
    expect((await b.admit()).probe, 'refusal() left the probe to be claimed').to.equal(true);
    await b.failure(boom);
    expect((await b.refusal())!.retryAfterMs, 'the failed probe defers for the doubled window').to.be.within(1_900, 2_400);
  });

  it('when calls keep succeeding while closed, then nothing is written to the table', async () => {
    const a = replica('quiet');
    for (let i = 0; i < 20; i++) {
      await a.admit();
      await a.success();
    }
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM "${schema}".circuit_breakers WHERE name = 'quiet'`);
    expect(rows[0].n).to.equal(0);
  });

  /** Summed over every replica's registry. */
  async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
    let sum = 0;
    for (const registry of metrics.map((m) => m.registry)) {
      const m = await registry.getSingleMetric(name)?.get();
      sum += (m?.values ?? []).filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((s, v) => s + v.value, 0);
    }
    return sum;
  }
});

import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import {
  claimInbox,
  createLogger,
  defaultServiceDatabaseUrl,
  defaultServiceRole,
  dropSchema,
  enqueue,
  openDatabase,
  provisionServiceDatabases,
  pruneOutboxAndInbox,
} from '@xauth/shared';
import { entities } from '../src/data-access/entities/index.js';
import { migrations } from '../src/data-access/migrations/index.js';
import { Store } from '../src/data-access/store.js';

describe('orchestrator store on a real PostgreSQL', function () {
  this.timeout(60_000);
  let ds: DataSource;
  const schema = `test_${randomBytes(4).toString('hex')}_orchestrator`;

  before(async () => {
    await provisionServiceDatabases('postgres://postgres@127.0.0.1:5432/postgres', [{ role: defaultServiceRole('orchestrator'), schemas: [schema] }]);
    ds = await openDatabase({
      url: defaultServiceDatabaseUrl('orchestrator'),
      schema,
      entities,
      migrations,
      applicationName: 'store-test',
      logger: createLogger({ service: 'store-test', silent: true }),
    });
  });
  after(async () => {
    await dropSchema(ds, schema);
    await ds.destroy();
  });

  it("when 40,000 profiles are synced at once, then all are stored (beyond PostgreSQL's 65,535 bind parameters)", async () => {
    const links = Array.from({ length: 40_000 }, (_, i) => ({ profileId: `p${i}`, accountId: `acct_${i}` }));
    const store = new Store(ds);
    await store.transaction((tx) => tx.upsertProfiles(links, 'gologin', new Date()));
    expect(await ds.query('SELECT count(*)::int AS n FROM profiles').then((r: Array<{ n: number }>) => r[0]!.n)).to.equal(40_000);
    // A second sync updates in place.
    await store.transaction((tx) =>
      tx.upsertProfiles(
        links.slice(0, 10).map((l) => ({ ...l, accountId: `${l.accountId}_b` })),
        'gologin',
        new Date(),
      ),
    );
    expect(await store.hasProfileFor('acct_3_b')).to.equal(true);
    expect(await ds.query('SELECT count(*)::int AS n FROM profiles').then((r: Array<{ n: number }>) => r[0]!.n)).to.equal(40_000);
  });

  it('when sent outbox rows and inbox entries age past retention, then they are pruned; unsent rows never are', async () => {
    const ids = await ds.transaction(async (m) => {
      const sent = await enqueue(m, 'token.refreshed', { accountId: 'a', app: 'xauth-dev', expiresAt: new Date().toISOString() }, { correlationId: 'c' });
      const unsent = await enqueue(m, 'token.refreshed', { accountId: 'b', app: 'xauth-dev', expiresAt: new Date().toISOString() }, { correlationId: 'c' });
      await claimInbox(m, 'test', 'old-message');
      await claimInbox(m, 'test', 'new-message');
      return { sent, unsent };
    });
    await ds.query(`UPDATE outbox SET sent_at = now() - interval '8 days', created_at = now() - interval '8 days' WHERE message_id = $1`, [ids.sent]);
    await ds.query(`UPDATE outbox SET created_at = now() - interval '8 days' WHERE message_id = $1`, [ids.unsent]);
    await ds.query(`UPDATE inbox SET processed_at = now() - interval '8 days' WHERE message_id = 'old-message'`);
    const pruned = await ds.transaction((m) => pruneOutboxAndInbox(m, new Date(Date.now() - 7 * 86_400_000)));
    expect(pruned).to.equal(2);
    expect((await ds.query('SELECT message_id FROM outbox')).map((r: { message_id: string }) => r.message_id)).to.deep.equal([ids.unsent]);
    expect((await ds.query('SELECT message_id FROM inbox')).map((r: { message_id: string }) => r.message_id)).to.deep.equal(['new-message']);
  });

  it('when a full sync no longer lists a profile, then it is removed; a profile listed twice is stored once', async () => {
    const store = new Store(ds);
    const links = [
      { profileId: 'q1', accountId: 'keep_me' },
      { profileId: 'q2', accountId: 'gone_soon' },
    ];
    await store.transaction((tx) => tx.upsertProfiles(links, 'gologin', new Date()));
    const at = new Date(Date.now() + 1000);
    const gone = await store.transaction(async (tx) => {
      await tx.upsertProfiles([links[0]!, links[0]!], 'gologin', at);
      return tx.deleteProfilesSyncedBefore('gologin', at);
    });
    expect(gone).to.include('gone_soon').and.not.include('keep_me');
    expect(await store.hasProfileFor('keep_me')).to.equal(true);
    expect(await store.hasProfileFor('gone_soon')).to.equal(false);
    expect(await ds.query('SELECT count(*)::int AS n FROM profiles').then((r: Array<{ n: number }>) => r[0]!.n)).to.equal(1);
  });
});

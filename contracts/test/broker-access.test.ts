import { expect } from 'chai';
import {
  ANY_NAMESPACE_PATTERN,
  DEAD_LETTER_QUEUE,
  RETRY_TIERS_MS,
  SERVICES,
  exchangeName,
  messages,
  permissionsOf,
  queueName,
  rabbitDefinitions,
  retryQueueName,
  serviceAccess,
  serviceOfBrokerUser,
  topicPermissionsOf,
  workQueues,
  type ExchangeRole,
  type RoutingKey,
  type ServiceName,
} from '../src/index.js';

const NS = 'test-1a2b';
const allQueues = () => [
  queueName(NS, DEAD_LETTER_QUEUE),
  ...Object.keys(workQueues).flatMap((p) => [queueName(NS, p), ...RETRY_TIERS_MS.map((t) => retryQueueName(NS, p, t))]),
];
/** The queues a service owns, by the topology's own name functions. */
function ownQueues(service: ServiceName): string[] {
  const a = serviceAccess(service);
  return [
    ...(a.deadLetterQueue ? [queueName(NS, DEAD_LETTER_QUEUE)] : []),
    ...a.workQueues.flatMap((p) => [queueName(NS, p), ...RETRY_TIERS_MS.map((t) => retryQueueName(NS, p, t))]),
  ];
}
const matches = (regex: string, name: string) => new RegExp(regex).test(name);
const ex = (role: ExchangeRole) => exchangeName(NS, role);

describe('broker users and their permissions, derived from the topology and the producers', () => {
  for (const service of SERVICES) {
    it(`when the ${service}'s regexes are read, then they cover exactly its own queues and the exchanges it declares, writes and binds from, in any namespace`, () => {
      const a = serviceAccess(service);
      const p = permissionsOf(service, ANY_NAMESPACE_PATTERN);
      const own = ownQueues(service);
      for (const q of allQueues()) {
        for (const kind of ['configure', 'write', 'read'] as const) expect(matches(p[kind], q), `${kind} ${q}`).to.equal(own.includes(q));
      }
      for (const role of ['commands', 'events', 'retry', 'dlx'] as const) {
        expect(matches(p.configure, ex(role)), `configure ${role}`).to.equal(a.declares.includes(role));
        expect(matches(p.write, ex(role)), `write ${role}`).to.equal(a.publishesTo.includes(role));
        expect(matches(p.read, ex(role)), `read ${role}`).to.equal(a.bindsFrom.includes(role));
      }
      expect(matches(p.write, 'amq.default'), 'write amq.default (its retry tiers dead-letter through it)').to.equal(a.workQueues.length > 0);
      expect(matches(p.configure, 'other.ns.commands'), 'a dotted name is no namespace').to.equal(false);
    });
  }

  it("when the services' access is read, then the gateway only writes commands, the worker writes no command and reads no event, and only the office reads the dead letters", () => {
    expect(permissionsOf('gateway', ANY_NAMESPACE_PATTERN).read).to.equal('^$');
    expect(serviceAccess('gateway').publishesTo).to.deep.equal(['commands']);
    expect(serviceAccess('browser-worker').publishesTo).not.to.include('commands');
    expect(serviceAccess('browser-worker').bindsFrom).not.to.include('events');
    for (const s of SERVICES) expect(matches(permissionsOf(s, ANY_NAMESPACE_PATTERN).read, queueName(NS, DEAD_LETTER_QUEUE)), s).to.equal(s === 'dead-letters');
  });

  it('when topic permissions are built, then each user may publish exactly the types whose producers name it (the office: the types it replays) and bind its own keys', () => {
    const publishable = (service: ServiceName, key: string) => {
      const type = key.split('.').slice(0, 3).join('.');
      const role = messages[(type in messages ? type : key) as RoutingKey]?.kind === 'command' ? 'commands' : 'events';
      const perm = topicPermissionsOf(service, NS).find((t) => t.exchange === ex(role));
      return perm !== undefined && matches(perm.write, key);
    };
    expect(publishable('browser-worker', 'authorization.job.started')).to.equal(true);
    expect(publishable('browser-worker', 'user.authenticated')).to.equal(false);
    expect(publishable('orchestrator', 'user.authenticated.billing')).to.equal(true);
    expect(publishable('orchestrator', 'token.refresh.requested')).to.equal(false);
    expect(publishable('gateway', 'user.login.requested')).to.equal(true);
    expect(publishable('gateway', 'authorization.job.requested')).to.equal(false);
    expect(publishable('dead-letters', 'token.refresh.requested')).to.equal(true);
    expect(publishable('dead-letters', 'authorization.consent.captured'), 'its secrets are redacted in a letter').to.equal(false);
    const orchestratorEvents = topicPermissionsOf('orchestrator', NS).find((t) => t.exchange === ex('events'))!;
    expect(matches(orchestratorEvents.read, 'authorization.job.started')).to.equal(true);
    expect(matches(orchestratorEvents.read, '#')).to.equal(false);
  });

  it("when the definitions are exported, then they carry every service's user without a password, with permissions on exactly that namespace", () => {
    const d = rabbitDefinitions('xauth');
    expect(d.users.map((u) => [u.name, u.password_hash])).to.deep.equal(SERVICES.map((s) => [`xauth-${s}`, '']));
    expect(d.users.map((u) => serviceOfBrokerUser(u.name))).to.deep.equal([...SERVICES]);
    const orchestrator = d.permissions.find((p) => p.user === 'xauth-orchestrator')!;
    expect(matches(orchestrator.configure, 'xauth.orchestrator.login-requests')).to.equal(true);
    expect(matches(orchestrator.configure, 'other.orchestrator.login-requests')).to.equal(false);
    expect(d.topic_permissions.every((t) => t.exchange.startsWith('xauth.'))).to.equal(true);
  });
});

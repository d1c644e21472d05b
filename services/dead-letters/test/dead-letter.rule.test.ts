import { expect } from 'chai';
import { jobOfLetter, readDeadLetter, replayHeaders, replayTarget, whyNotReplayable, type Delivery } from '../src/domain/dead-letter.rule.js';

const delivery = (headers: Record<string, unknown>, routingKey = 'user.login.requested', props: Record<string, unknown> = {}): Delivery =>
  ({
    content: Buffer.from('{}'),
    fields: { exchange: 'ns.dlx', routingKey },
    properties: { headers, messageId: 'm-1', type: 'user.login.requested', appId: undefined, ...props },
  }) as unknown as Delivery;

describe('dead-letter rules', () => {
  it('when the broker dead-lettered at the delivery limit, then the reason fields come from x-death', () => {
    const r = readDeadLetter(
      delivery(
        {
          'x-delivery-count': 5,
          'x-death': [
            {
              reason: 'delivery_limit',
              queue: 'ns.orchestrator.login-requests',
              exchange: 'ns.commands',
              'routing-keys': ['user.login.requested.billing'],
              count: 1,
              time: 1_763_800_000,
            },
          ],
        },
        'user.login.requested.billing',
      ),
      'm-1',
      'ns',
    );
    expect(r).to.include({
      errorCode: 'DELIVERY_LIMIT_EXCEEDED',
      queue: 'ns.orchestrator.login-requests',
      originalExchange: 'ns.commands',
      routingKey: 'user.login.requested.billing',
      service: 'orchestrator',
      attempts: 5,
    });
    expect(r.lastFailureAt.toISOString()).to.equal(new Date(1_763_800_000_000).toISOString());
    expect(r.properties).to.deep.equal({ messageId: 'm-1', type: 'user.login.requested' });
  });

  it('when a letter carries neither our headers nor x-death, then it is still kept, as BROKER_DEAD_LETTERED', () => {
    const r = readDeadLetter(delivery({}), 'm-1', 'ns');
    expect(r).to.include({ errorCode: 'BROKER_DEAD_LETTERED', queue: null, originalExchange: null, routingKey: 'user.login.requested', attempts: 1 });
  });

  it('when a letter is replayed, then failure headers go, the attempt count restarts and x-replay-of names the original', () => {
    const headers = replayHeaders({
      messageId: 'm-1',
      headers: {
        'ce-source': 'gateway',
        traceparent: '00-abc',
        'x-attempt': 5,
        'x-error-code': 'TIMEOUT',
        'x-error-message': 'slow',
        'x-original-queue': 'q',
        'x-original-exchange': 'e',
        'x-original-routing-key': 'k',
        'x-service': 's',
        'x-first-failure-at': 't',
        'x-last-failure-at': 't',
        'x-death': [],
        'x-first-death-reason': 'delivery_limit',
        'x-last-death-queue': 'q',
        'x-delivery-count': 4,
        'x-replay-of': 'm-0',
      },
    });
    expect(headers).to.deep.equal({ 'ce-source': 'gateway', traceparent: '00-abc', 'x-attempt': 1, 'x-replay-of': 'm-1' });
  });

  it("when a letter carrying CloudEvents headers is replayed, then its cloudEvents_id is the replay's messageId and the other attributes stay", () => {
    const headers = replayHeaders(
      {
        messageId: 'm-1',
        headers: {
          cloudEvents_specversion: '1.0',
          cloudEvents_id: 'm-1',
          cloudEvents_type: 'user.login.requested',
          cloudEvents_time: '2026-11-30T08:00:00.000Z',
          'x-attempt': 3,
        },
      },
      'm-2',
    );
    expect(headers).to.deep.equal({
      cloudEvents_specversion: '1.0',
      cloudEvents_id: 'm-2',
      cloudEvents_type: 'user.login.requested',
      cloudEvents_time: '2026-11-30T08:00:00.000Z',
      'x-attempt': 1,
      'x-replay-of': 'm-1',
    });
  });

  it('when the broker dead-lettered a secret-bearing message, then its secret fields are redacted before it is stored', () => {
    const msg = delivery({ 'x-death': [{ reason: 'delivery_limit', queue: 'ns.orchestrator.authorization-results' }] }, 'authorization.consent.captured');
    msg.content = Buffer.from(JSON.stringify({ jobId: 'j-1', code: 'SECRET-CODE', state: 'SECRET-STATE' }));
    (msg.properties as { type: string }).type = 'authorization.consent.captured';
    const r = readDeadLetter(msg, 'm-1', 'ns');
    expect(JSON.parse(r.body.toString())).to.deep.equal({ jobId: 'j-1', code: '[REDACTED]', state: '[REDACTED]' });
    const plain = readDeadLetter(delivery({}), 'm-1', 'ns');
    expect(plain.body.toString()).to.equal('{}');
  });

  it("when a letter's secrets were redacted, then it is not replayable, with the reason; a job letter whose failure was reported is (its replay reopens the job)", () => {
    const reported = delivery(
      { 'x-error-code': 'BLOCKED', 'x-service': 'browser-worker', 'x-outcome-reported': true, 'x-original-queue': 'ns.browser-worker.authorization-jobs' },
      'authorization.job.requested',
      { type: 'authorization.job.requested', userId: 'xauth-browser-worker' },
    );
    reported.content = Buffer.from(JSON.stringify({ jobId: '0b6a1f4e-3c1d-4d7e-9a51-2f0c6f7d8e90' }));
    const reportedLetter = readDeadLetter(reported, 'm-1', 'ns');
    expect(whyNotReplayable(reportedLetter)).to.equal(undefined);
    expect(jobOfLetter(reportedLetter)).to.equal('0b6a1f4e-3c1d-4d7e-9a51-2f0c6f7d8e90');
    // The replayed copy of a replayable letter never carries the mark.
    expect(replayHeaders({ messageId: 'm-1', headers: { 'x-outcome-reported': true } })).to.deep.equal({ 'x-attempt': 1, 'x-replay-of': 'm-1' });

    const consent = delivery({ 'x-error-code': 'DEPENDENCY_UNAVAILABLE' }, 'authorization.consent.captured');
    consent.content = Buffer.from(JSON.stringify({ jobId: 'j-1', code: '[REDACTED]', state: '[REDACTED]' }));
    (consent.properties as { type: string }).type = 'authorization.consent.captured';
    expect(whyNotReplayable(readDeadLetter(consent, 'm-2', 'ns'))).to.match(/^its code and state were redacted when it was dead-lettered/);

    const login = delivery({ 'x-error-code': 'UNKNOWN_ACCOUNT', 'x-original-queue': 'ns.orchestrator.login-requests' }, 'user.login.requested', {
      userId: 'xauth-orchestrator',
    });
    login.content = Buffer.from(JSON.stringify({ requestId: 'r-1', accountId: 'someone' }));
    expect(whyNotReplayable(readDeadLetter(login, 'm-3', 'ns'))).to.equal(undefined);
    expect(jobOfLetter(readDeadLetter(login, 'm-3', 'ns'))).to.equal(undefined);
    // A job the broker dead-lettered (its worker crashed each time) was never reported: the job may still be live.
    const crashed = readDeadLetter(
      delivery({ 'x-death': [{ reason: 'delivery_limit', queue: 'ns.browser-worker.authorization-jobs' }] }, 'authorization.job.requested', {
        type: 'authorization.job.requested',
        userId: 'xauth-orchestrator',
      }),
      'm-4',
      'ns',
    );
    expect(whyNotReplayable(crashed)).to.equal(undefined);
  });

  it("when a letter was written by someone other than its queue's consumer, refused as forged, or first published by a producer its type does not name, then it is not replayable", () => {
    const wrapped = (userId: string | undefined, code = 'UNKNOWN_ACCOUNT') =>
      readDeadLetter(delivery({ 'x-error-code': code, 'x-original-queue': 'ns.orchestrator.login-requests' }, 'user.login.requested', { userId }), 'm-1', 'ns');
    expect(whyNotReplayable(wrapped('xauth-orchestrator'))).to.equal(undefined);
    expect(whyNotReplayable(wrapped('xauth-browser-worker'))).to.match(
      /^it was written to the dead-letter exchange by broker user "xauth-browser-worker", not by its queue's consumer \(xauth-orchestrator\)/,
    );
    expect(whyNotReplayable(wrapped(undefined))).to.match(/a publisher that set no user-id/);
    expect(whyNotReplayable(wrapped('xauth-orchestrator', 'FORGED_PRODUCER'))).to.match(/FORGED_PRODUCER/);
    // What the broker dead-lettered by itself keeps the first publisher's user-id.
    const byBroker = (type: string, userId?: string) =>
      readDeadLetter(delivery({ 'x-death': [{ reason: 'delivery_limit', queue: 'ns.orchestrator.refresh-requests' }] }, type, { type, userId }), 'm-2', 'ns');
    expect(whyNotReplayable(byBroker('token.refresh.requested'))).to.equal(undefined);
    expect(whyNotReplayable(byBroker('token.refresh.requested', 'billing-service'))).to.equal(undefined);
    expect(whyNotReplayable(byBroker('token.refresh.requested', 'xauth-gateway'))).to.match(
      /broker user "xauth-gateway", may not publish token.refresh.requested \(only upstream\)/,
    );
    expect(whyNotReplayable(byBroker('token.refresh.requested', 'xauth-dead-letters')), 'a replay that crashed again').to.equal(undefined);
  });

  it('when no exchange is on record, then a replay goes straight to the original queue', () => {
    expect(replayTarget({ originalExchange: 'ns.commands', routingKey: 'k', queue: 'q' })).to.deep.equal({ exchange: 'ns.commands', routingKey: 'k' });
    expect(replayTarget({ originalExchange: null, routingKey: 'k', queue: 'q' })).to.deep.equal({ exchange: '', routingKey: 'q' });
  });
});

import { expect } from 'chai';
import type { JobStatus } from '@xauth/contracts';
import { whyNotReopenable, type ReopenFacts } from '../src/domain/reopen.rule.js';

const JOB = '11111111-1111-4111-8111-111111111111';
const NEWER = '22222222-2222-4222-8222-222222222222';
const facts = (status: JobStatus, over: Partial<ReopenFacts['job']> & { latest?: ReopenFacts['latest']; appConfigured?: boolean } = {}): ReopenFacts => {
  const { latest, appConfigured, ...job } = over;
  return {
    job: { jobId: JOB, accountId: 'someone', app: 'xauth-dev', status, errorCode: 'BLOCKED', ...job },
    latest: latest ?? { jobId: JOB, status },
    appConfigured: appConfigured ?? true,
  };
};

describe('orchestrator: which jobs may be reopened', () => {
  it("when a job ended failed, dead_lettered or expired and is its account's newest, then it may be reopened", () => {
    for (const status of ['failed', 'dead_lettered', 'expired'] as const) expect(whyNotReopenable(facts(status))).to.equal(undefined);
    expect(whyNotReopenable(facts('failed', { errorCode: 'CAPTCHA_REQUIRED' }))).to.equal(undefined);
    expect(whyNotReopenable(facts('expired', { errorCode: null }))).to.equal(undefined);
  });

  it('when a job succeeded or is still active, then JOB_NOT_REOPENABLE says so', () => {
    expect(whyNotReopenable(facts('succeeded'))).to.deep.equal({ code: 'JOB_NOT_REOPENABLE', message: `job ${JOB} cannot be reopened: it already succeeded` });
    for (const status of ['queued', 'dispatched', 'running', 'consent_captured'] as const) {
      expect(whyNotReopenable(facts(status))?.message).to.contain(`it is still ${status}`);
    }
  });

  it('when a newer job of the account stands, its app is gone, or a rerun cannot fix its failure, then JOB_NOT_REOPENABLE with the reason', () => {
    const newer = whyNotReopenable(facts('dead_lettered', { latest: { jobId: NEWER, status: 'succeeded' } }));
    expect(newer).to.include({ code: 'JOB_NOT_REOPENABLE' });
    expect(newer!.message).to.contain(`a newer job ${NEWER} (succeeded) of @someone`);
    expect(whyNotReopenable(facts('failed', { appConfigured: false }))?.message).to.contain('no longer configured');
    expect(whyNotReopenable(facts('failed', { errorCode: 'IDENTITY_MISMATCH' }))?.message).to.contain('request a new login');
  });
});

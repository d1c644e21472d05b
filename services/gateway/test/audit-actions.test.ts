import { expect } from 'chai';
import { restRoutes } from '@xauth/contracts';
import { auditAction, auditOutcome, auditedRoutes, matchAudited } from '../src/domain/audit-actions.rule.js';

describe('gateway domain: audited actions', () => {
  it('when routes are named, then the action is their fixed segments and a verb', () => {
    expect([
      auditAction('get', '/v1/accounts/{accountId}/token'),
      auditAction('post', '/v1/logins'),
      auditAction('post', '/v1/clients'),
      auditAction('put', '/v1/clients/{clientId}/scopes'),
      auditAction('delete', '/v1/clients/{clientId}'),
      auditAction('post', '/v1/dead-letters/{id}/replay'),
      auditAction('post', '/v1/keys/signing/rotate'),
    ]).to.deep.equal([
      'token.read',
      'login.request',
      'clients.create',
      'clients.scopes.update',
      'clients.delete',
      'dead-letters.replay',
      'keys.signing.rotate',
    ]);
  });

  it('when a request is matched, then only audited routes count, with their decoded parameters', () => {
    const routes = auditedRoutes(restRoutes);
    expect(matchAudited(routes, 'GET', '/v1/accounts/alice_x/token')?.params).to.deep.equal({ accountId: 'alice_x' });
    expect(matchAudited(routes, 'GET', '/v1/clients'), 'plain reads are not audited').to.equal(undefined);
    expect(matchAudited(routes, 'POST', '/v1/oauth/token'), 'unscoped routes are not').to.equal(undefined);
    expect(matchAudited(routes, 'POST', '/v1/clients/svc-1/disable')?.route.action).to.equal('clients.disable');
    expect([auditOutcome(200), auditOutcome(403), auditOutcome(409), auditOutcome(503)]).to.deep.equal(['ok', 'denied', 'rejected', 'failed']);
  });
});

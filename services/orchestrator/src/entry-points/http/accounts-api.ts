import type { Express } from 'express';
import { AccountListQuery, AccountParams, ErrorCodes, InternalAccountActionRequest } from '@xauth/contracts';
import { NotFoundError, parseInput, requireInternalToken } from '@xauth/shared';
import type { AccountQueries } from '../../data-access/account-queries.js';
import type { OrchestratorDeps } from '../../domain/deps.js';
import { offboardAccount, pauseAccount, resumeAccount } from '../../domain/use-cases/manage-account.use-case.js';

/** The accounts part of the internal API (the gateway's `accounts:admin` routes call these). */
export function mountAccountsApi(app: Express, deps: OrchestratorDeps, reads: AccountQueries, internalToken: string): void {
  const requireInternal = requireInternalToken(internalToken);
  app.get('/internal/v1/accounts', requireInternal, async (req, res) => {
    res.json(await reads.list(parseInput(AccountListQuery, req.query, 'query')));
  });
  app.get('/internal/v1/accounts/:accountId', requireInternal, async (req, res) => {
    const { accountId } = parseInput(AccountParams, req.params, 'path');
    const detail = await reads.detail(accountId);
    if (!detail) throw new NotFoundError({ code: ErrorCodes.ACCOUNT_NOT_FOUND, message: `no account @${accountId}` });
    res.json(detail);
  });
  const actions = { pause: pauseAccount, resume: resumeAccount, offboard: offboardAccount };
  for (const [name, act] of Object.entries(actions)) {
    app.post(`/internal/v1/accounts/:accountId/${name}`, requireInternal, async (req, res) => {
      const { accountId } = parseInput(AccountParams, req.params, 'path');
      const { by, reason } = parseInput(InternalAccountActionRequest, req.body, 'body');
      res.json(await act(deps, accountId, { by, reason }));
    });
  }
}

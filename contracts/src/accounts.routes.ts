import { AccountActionRequest, AccountActionResult, AccountDetail, AccountListQuery, AccountPage, AccountParams } from './accounts.js';
import type { RestRoute } from './rest-route.js';

/** The accounts routes (scope `accounts:admin`), listed in `restRoutes`. */
export const accountRoutes: readonly RestRoute[] = [
  {
    method: 'get',
    path: '/v1/accounts',
    summary: 'Accounts (profiles, tokens and jobs), paged and searched by id prefix, token state, error code or pause; with counts by token state',
    scope: 'accounts:admin',
    query: AccountListQuery,
    response: AccountPage,
  },
  {
    method: 'get',
    path: '/v1/accounts/{accountId}',
    summary: 'One account: profiles, token state per app, last job, and its history (jobs, refreshes, reauthorizations, pauses)',
    scope: 'accounts:admin',
    params: AccountParams,
    response: AccountDetail,
  },
  {
    method: 'post',
    path: '/v1/accounts/{accountId}/pause',
    summary: 'Pause an account: no login (answered ACCOUNT_PAUSED) and no refresh runs for it; its active jobs end',
    scope: 'accounts:admin',
    params: AccountParams,
    body: AccountActionRequest,
    response: AccountActionResult,
  },
  {
    method: 'post',
    path: '/v1/accounts/{accountId}/resume',
    summary: 'Resume a paused (or offboarded) account: logins and refreshes run again',
    scope: 'accounts:admin',
    params: AccountParams,
    body: AccountActionRequest,
    response: AccountActionResult,
  },
  {
    method: 'post',
    path: '/v1/accounts/{accountId}/offboard',
    summary: 'Offboard an account: both tokens revoked at X (X must confirm), deleted, account.offboarded announced; reads answer 404 after',
    scope: 'accounts:admin',
    params: AccountParams,
    body: AccountActionRequest,
    response: AccountActionResult,
  },
];

import { randomUUID } from 'node:crypto';
import { buildAuthorizeUrl, s256 } from '@xauth/orchestrator';
import { getServiceToken, schemaOf, waitUntil, type Stack } from '../../src/index.js';

/**
 * Answers X's consent page over plain HTTP with the account's session cookie, as its browser
 * would (no Chromium): the job's own state and PKCE challenge, read from the orchestrator's row.
 */
export async function consentOverHttp(stack: Stack, accountId: string): Promise<{ jobId: string; code: string; state: string }> {
  const row = await waitUntil(
    async () =>
      (
        await stack.db.query(
          `SELECT job_id, state_enc, verifier_enc, scopes, redirect_uri FROM "${schemaOf(stack)}".authorization_jobs
     WHERE account_key = $1 AND status IN ('dispatched', 'running') ORDER BY created_at DESC LIMIT 1`,
          [accountId.toLowerCase()],
        )
      ).rows[0],
    20_000,
    'the job',
  );
  const keyring = stack.orchestrator.deps.keyring;
  const state = keyring.decrypt(row.state_enc, row.job_id);
  const authorizeUrl = buildAuthorizeUrl(`${stack.xsim.url}/i/oauth2/authorize`, {
    clientId: 'xsim-client-id',
    redirectUri: row.redirect_uri,
    scopes: row.scopes,
    state,
    challenge: s256(keyring.decrypt(row.verifier_enc, row.job_id)),
  });
  const [session] = (await (await fetch(`${stack.xsim.url}/_sim/users/${accountId}/cookies`)).json()) as Array<{ value: string }>;
  const cleared = await fetch(`${stack.xsim.url}/cdn-cgi/challenge-platform/clear`, { method: 'POST', headers: { cookie: `auth_token=${session!.value}` } });
  const clearance = /cf_clearance=([^;]+)/.exec(cleared.headers.get('set-cookie') ?? '')![1];
  const cookie = `auth_token=${session!.value}; cf_clearance=${clearance}`;
  const page = await (await fetch(authorizeUrl, { headers: { cookie } })).text();
  const consentId = /name="consent_id" value="([^"]+)"/.exec(page)?.[1];
  if (!consentId) throw new Error(`no consent page for @${accountId}`);
  const answer = await fetch(`${stack.xsim.url}/i/oauth2/authorize/consent`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ consent_id: consentId, approval: 'allow' }),
  });
  const to = new URL(answer.headers.get('location')!);
  return { jobId: row.job_id, code: to.searchParams.get('code')!, state: to.searchParams.get('state')! };
}

/** Publishes `authorization.consent.captured` as the browser worker does (each copy its own messageId). */
export function publishConsent(stack: Stack, consent: { jobId: string; code: string; state: string }): Promise<void> {
  return stack.probe.publishAs('browser-worker', 'events', 'authorization.consent.captured', consent);
}

/** A whole login without a browser: request, consent over HTTP, the consent published; resolves on user.authenticated. */
export async function loginOverHttp(stack: Stack, accountId: string): Promise<void> {
  const events = await stack.probe.listen('user.authenticated.#');
  const requestId = randomUUID();
  stack.probe.publishCommand('user.login.requested', { requestId, accountId });
  await publishConsent(stack, await consentOverHttp(stack, accountId));
  await events.waitFor((r) => (r.body as { requestId?: string }).requestId === requestId, 30_000, `user.authenticated for @${accountId}`);
}

/** A JWT of the development admin client (every scope). */
export const adminJwt = (stack: Stack) => getServiceToken(stack.gateway.url, 'dev-admin', 'dev-admin-secret');

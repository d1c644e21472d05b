import { randomUUID } from 'node:crypto';
import { ErrorCodes, type UserLoginRequested } from '@xauth/contracts';
import { ValidationError } from '@xauth/shared';
import type { OrchestratorDeps } from '../deps.js';
import { loginRefusal } from '../accounts.rule.js';
import { tokenIsValid } from '../job-rules.js';
import { buildAuthorizeUrl, createPkcePair, createState } from '../pkce.js';
import type { OrchestratorTx } from '../ports.js';

export interface MessageMeta {
  messageId: string;
  correlationId: string;
  /** Set when the dead-letter office replays a request: its original messageId. */
  replayOf?: string;
}

const CONSUMER = 'login-requested';

function coversScopes(granted: string, wanted: string): boolean {
  const have = new Set(granted.split(' '));
  return wanted.split(' ').every((s) => have.has(s));
}

/**
 * `user.login.requested`: answer from a valid stored token, coalesce onto the account's active
 * job, or create a job (PKCE verifier and state encrypted) and dispatch it through the outbox.
 * A repeated requestId or messageId changes nothing, except a replay of a refused request. Invalid requests are answered with
 * `user.authentication.failed` and then refused, so the consumer dead-letters them.
 */
export async function requestLogin(deps: OrchestratorDeps, cmd: UserLoginRequested, meta: MessageMeta): Promise<void> {
  const mapFresh = cmd.profileId || (await deps.store.hasProfileFor(cmd.accountId)) ? true : await deps.syncProfilesOnDemand();
  const refusal = await deps.store.transaction(async (tx) => {
    if (!(await tx.claimInbox(CONSUMER, meta.messageId))) return undefined;
    if (await tx.findLoginRequest(cmd.requestId)) {
      // A replayed dead letter tries again a request that was refused (its cause fixed since, e.g. the
      // profile now exists); any other repeat of the requestId changes nothing.
      if (!meta.replayOf || !(await tx.forgetFailedLoginRequest(cmd.requestId))) return undefined;
      deps.logger.info('replayed login request tried again', { requestId: cmd.requestId, replayOf: meta.replayOf });
    }
    const request = {
      requestId: cmd.requestId,
      accountId: cmd.accountId,
      app: cmd.app ?? deps.settings.defaultApp,
      jobId: null,
      replyTo: cmd.replyTo ?? null,
      correlationId: meta.correlationId,
    };
    const answerFailed = async (code: string, message: string) => {
      await tx.insertLoginRequest(request, 'failed', code);
      await tx.emit(
        'user.authentication.failed',
        { requestId: cmd.requestId, jobId: null, accountId: cmd.accountId, errorCode: code, message, attempts: 0 },
        { correlationId: meta.correlationId, causationId: meta.messageId, routingKeySuffix: cmd.replyTo },
      );
    };
    const refuse = async (code: string, message: string) => {
      await answerFailed(code, message);
      return new ValidationError({ code, message });
    };

    // A paused or offboarded account is an operator's decision, not bad input: answered, not dead-lettered.
    const refusal = loginRefusal(await tx.accounts.standing(cmd.accountId), cmd.accountId);
    if (refusal) {
      await answerFailed(refusal.code, refusal.message);
      deps.logger.info('login request refused: the account is paused or offboarded', {
        requestId: cmd.requestId,
        accountId: cmd.accountId,
        errorCode: refusal.code,
      });
      return undefined;
    }

    const app = deps.apps.find((a) => a.name === request.app);
    if (!app) return refuse(ErrorCodes.UNKNOWN_APP, `unknown app "${request.app}"`);
    const profile = await tx.profileFor(cmd.accountId, cmd.profileId);
    if (!profile) {
      return cmd.profileId
        ? refuse(ErrorCodes.UNKNOWN_PROFILE, `unknown profile "${cmd.profileId}"`)
        : refuse(
            ErrorCodes.UNKNOWN_ACCOUNT,
            mapFresh
              ? `no profile is signed in to @${cmd.accountId}`
              : `no profile is signed in to @${cmd.accountId} as far as the last sync knows; a sync from GoLogin is still under way: replay this request once it has ended`,
          );
    }
    const scopes = cmd.scopes ?? deps.settings.defaultScopes;

    // Locked first: a job completing meanwhile is waited for, and its token is then read below.
    const active = await tx.activeJobFor(cmd.accountId, app.name);
    if (!cmd.force && (await answerFromStoredToken(deps, tx, request, scopes, meta))) return undefined;
    if (active) {
      await tx.insertLoginRequest({ ...request, jobId: active.jobId }, 'accepted');
      deps.logger.info('login request joined the active job', { requestId: cmd.requestId, jobId: active.jobId });
      return undefined;
    }

    const jobId = randomUUID();
    const pkce = createPkcePair();
    const state = createState();
    const deadline = new Date(Date.now() + deps.settings.jobTtlMs);
    await tx.insertJob({
      jobId,
      accountId: cmd.accountId,
      app: app.name,
      profileId: profile.profileId,
      scopes,
      status: 'dispatched',
      attempt: 1,
      redirectUri: app.redirectUri,
      stateEnc: deps.keyring.encrypt(state, jobId),
      verifierEnc: deps.keyring.encrypt(pkce.verifier, jobId),
      pendingTokensEnc: null,
      deadline,
      errorCode: null,
      errorMessage: null,
    });
    await tx.insertLoginRequest({ ...request, jobId }, 'accepted');
    await tx.emit(
      'authorization.job.requested',
      {
        jobId,
        accountId: cmd.accountId,
        profileId: profile.profileId,
        authorizeUrl: buildAuthorizeUrl(deps.settings.authorizeUrl, {
          clientId: app.clientId,
          redirectUri: app.redirectUri,
          scopes,
          state,
          challenge: pkce.challenge,
        }),
        redirectUri: app.redirectUri,
        deadline: deadline.toISOString(),
        attempt: 1,
      },
      { correlationId: meta.correlationId, causationId: meta.messageId },
    );
    deps.logger.info('authorization job created', { requestId: cmd.requestId, jobId, accountId: cmd.accountId, profileId: profile.profileId });
    return undefined;
  });
  if (refusal) throw refusal;
}

async function answerFromStoredToken(
  deps: OrchestratorDeps,
  tx: Pick<OrchestratorTx, 'findToken' | 'insertLoginRequest' | 'emit'>,
  request: { requestId: string; accountId: string; app: string; replyTo: string | null },
  scopes: string,
  meta: MessageMeta,
): Promise<boolean> {
  const token = await tx.findToken(request.accountId, request.app);
  if (
    !token ||
    token.status !== 'active' ||
    !tokenIsValid(token.expiresAt, new Date(), deps.settings.tokenValidityMarginMs) ||
    !coversScopes(token.scopes, scopes)
  )
    return false;
  await tx.insertLoginRequest({ ...request, jobId: null, correlationId: meta.correlationId }, 'answered');
  await tx.emit(
    'user.authenticated',
    {
      requestId: request.requestId,
      jobId: null,
      accountId: request.accountId,
      xUserId: token.xUserId,
      app: request.app,
      scopes: token.scopes,
      expiresAt: token.expiresAt.toISOString(),
      cached: true,
    },
    { correlationId: meta.correlationId, causationId: meta.messageId, routingKeySuffix: request.replyTo ?? undefined },
  );
  deps.logger.info('login request answered from the stored token', { requestId: request.requestId });
  return true;
}

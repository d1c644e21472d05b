import { ARTIFACT_FILES, ErrorCodes, artifactHref, parseArtifactName, type AccountTokenView, type ArtifactLink, type JobView } from '@xauth/contracts';
import { AppError, NotFoundError } from '@xauth/shared';
import type { OrchestratorDeps } from '../deps.js';
import { tokenAad, type StoredToken } from '../model.js';

export async function getJobView(deps: OrchestratorDeps, jobId: string): Promise<JobView> {
  const j = await deps.store.getJob(jobId);
  if (!j) throw new NotFoundError({ code: ErrorCodes.UNKNOWN_JOB, message: `no job ${jobId}` });
  return {
    jobId: j.jobId,
    accountId: j.accountId,
    app: j.app,
    profileId: j.profileId,
    status: j.status,
    attempt: j.attempt,
    errorCode: j.errorCode,
    errorMessage: j.errorMessage,
    artifacts: artifactLinks(j.artifacts),
    deadline: j.deadline.toISOString(),
    createdAt: j.createdAt.toISOString(),
    updatedAt: j.updatedAt.toISOString(),
  };
}

/** Download links for the stored artifact names; a name that is not one (an old or foreign value) is left out. */
function artifactLinks(names: string[]): ArtifactLink[] {
  return names.flatMap((name) => {
    const parts = parseArtifactName(name);
    return parts ? [{ name, href: artifactHref(name)!, contentType: ARTIFACT_FILES[parts.file] }] : [];
  });
}

/** The decrypted access token of an account for an app, if it is still valid. */
export async function getAccountToken(deps: OrchestratorDeps, accountId: string, app = deps.settings.defaultApp): Promise<AccountTokenView> {
  return tokenView(deps, accountId, app, await deps.store.getToken(accountId, app));
}

/**
 * Many reads at once (the gateway's of one moment), one statement for all: each answer is the view
 * or the error `getAccountToken` would have thrown, in the reads' order.
 */
export async function getAccountTokens(
  deps: OrchestratorDeps,
  reads: ReadonlyArray<{ accountId: string; app: string }>,
): Promise<Array<{ ok: AccountTokenView } | { error: unknown }>> {
  const stored = await deps.store.getTokens(reads);
  return reads.map((r, i) => {
    try {
      return { ok: tokenView(deps, r.accountId, r.app, stored[i]) };
    } catch (error) {
      return { error };
    }
  });
}

function tokenView(deps: OrchestratorDeps, accountId: string, app: string, t: StoredToken | undefined): AccountTokenView {
  if (!t) throw new NotFoundError({ code: ErrorCodes.TOKEN_NOT_FOUND, message: `no token for @${accountId} and app "${app}"` });
  // A lost refresh answer leaves the access token usable until it expires; the refresher announces the rest.
  if (t.status === 'dead') {
    throw new AppError({
      code: ErrorCodes.REAUTHORIZATION_REQUIRED,
      message: `the token of @${accountId} was revoked or its refresh failed; a new login is needed`,
      retryable: false,
      httpStatus: 409,
    });
  }
  if (t.expiresAt.getTime() <= Date.now()) {
    throw new AppError({
      code: ErrorCodes.TOKEN_EXPIRED,
      message: `the token of @${accountId} expired at ${t.expiresAt.toISOString()}`,
      retryable: false,
      httpStatus: 409,
    });
  }
  return {
    accessToken: deps.keyring.decrypt(t.accessTokenEnc, tokenAad(accountId, app)),
    tokenType: 'bearer',
    scopes: t.scopes,
    expiresAt: t.expiresAt.toISOString(),
  };
}

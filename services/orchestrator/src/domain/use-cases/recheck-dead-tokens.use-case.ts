import { randomUUID } from 'node:crypto';
import { ErrorCodes } from '@xauth/contracts';
import { AppError, errorMessage } from '@xauth/shared';
import type { OrchestratorDeps } from '../deps.js';
import { eachConcurrently } from './refresh-due-tokens.use-case.js';
import { refreshToken } from './refresh-token.use-case.js';

export interface RecheckResult {
  app: string;
  checked: number;
  /** X rotated the refresh token: active again, `token.refreshed` announced. */
  revived: string[];
  /** X said the refresh token is invalid: still dead. */
  stillDead: number;
  /** Could not tell (X unavailable, rate limited, credentials refused...): error code -> count; still dead. */
  failed: Record<string, number>;
  /** Pass as `after` to go on; absent when every dead token of the app was checked. */
  next?: string;
}

/**
 * An operator's second look at an app's dead tokens (killed wrongly, e.g. by a configuration
 * mistake): each refresh token, at most `limit` of them after `after`, is spent once. X rotates it:
 * the token is active again; X says it is invalid: it stays dead.
 */
export async function recheckDeadTokens(
  deps: OrchestratorDeps,
  app: string,
  opts: { limit?: number; after?: string; correlationId?: string } = {},
): Promise<RecheckResult> {
  if (!deps.apps.some((a) => a.name === app))
    throw new AppError({ code: ErrorCodes.UNKNOWN_APP, message: `unknown app "${app}"`, retryable: false, httpStatus: 404 });
  const limit = Math.min(opts.limit ?? deps.settings.recheckLimit, deps.settings.recheckLimit);
  const correlationId = opts.correlationId ?? randomUUID();
  const dead = await deps.store.deadTokens(app, opts.after ?? '', limit);
  const result: RecheckResult = { app, checked: dead.length, revived: [], stillDead: 0, failed: {} };
  await eachConcurrently(dead, deps.settings.refreshConcurrency, async ({ accountId }) => {
    try {
      const outcome = await refreshToken(deps, accountId, app, { onlyIfDue: false, recheckDead: true, correlationId });
      if (outcome === 'refreshed') result.revived.push(accountId);
      else if (outcome === 'dead') result.stillDead += 1;
      else result.failed[outcome] = (result.failed[outcome] ?? 0) + 1;
    } catch (err) {
      const code = err instanceof AppError ? err.code : ErrorCodes.INTERNAL;
      result.failed[code] = (result.failed[code] ?? 0) + 1;
      deps.logger.warn('recheck of a dead token failed; it stays dead', { accountId, app, error: errorMessage(err) });
    }
  });
  if (dead.length === limit) result.next = dead[dead.length - 1]!.key;
  deps.logger.info('dead tokens rechecked', {
    app,
    checked: result.checked,
    revived: result.revived.length,
    stillDead: result.stillDead,
    failed: result.failed,
  });
  return result;
}

import type { Handler } from '@xauth/shared';
import type { OrchestratorDeps } from '../../domain/deps.js';
import { refreshToken } from '../../domain/use-cases/refresh-token.use-case.js';

/** `token.refresh.requested`: refresh now; a token another replica is refreshing right now counts as done. */
export const refreshRequested =
  (deps: OrchestratorDeps): Handler<'token.refresh.requested'> =>
  async (msg, ctx) => {
    await refreshToken(deps, msg.accountId, msg.app ?? deps.settings.defaultApp, { onlyIfDue: false, correlationId: ctx.envelope.correlationId });
  };

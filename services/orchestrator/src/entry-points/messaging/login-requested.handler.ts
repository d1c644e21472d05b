import { HEADER, type Handler } from '@xauth/shared';
import type { OrchestratorDeps } from '../../domain/deps.js';
import { requestLogin } from '../../domain/use-cases/request-login.use-case.js';

export const loginRequested =
  (deps: OrchestratorDeps): Handler<'user.login.requested'> =>
  (msg, ctx) => {
    const replayOf = ctx.envelope.headers[HEADER.replayOf];
    return requestLogin(deps, msg, { ...ctx.envelope, replayOf: typeof replayOf === 'string' ? replayOf : undefined });
  };

import type { Handler } from '@xauth/shared';
import type { OrchestratorDeps } from '../../domain/deps.js';
import { requestLogin } from '../../domain/use-cases/request-login.use-case.js';

export const loginRequested = (deps: OrchestratorDeps): Handler<'user.login.requested'> =>
  (msg, ctx) => requestLogin(deps, msg, ctx.envelope);

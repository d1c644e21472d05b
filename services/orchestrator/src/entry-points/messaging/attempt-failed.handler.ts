import type { Handler } from '@xauth/shared';
import type { OrchestratorDeps } from '../../domain/deps.js';
import { recordAttemptFailed } from '../../domain/use-cases/record-attempt.use-case.js';

export const attemptFailed =
  (deps: OrchestratorDeps): Handler<'authorization.attempt.failed'> =>
  (msg) =>
    recordAttemptFailed(deps, msg);

import type { Handler } from '@xauth/shared';
import type { OrchestratorDeps } from '../../domain/deps.js';
import { recordJobStarted } from '../../domain/use-cases/record-attempt.use-case.js';

export const jobStarted =
  (deps: OrchestratorDeps): Handler<'authorization.job.started'> =>
  (msg) =>
    recordJobStarted(deps, msg);

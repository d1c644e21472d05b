import type { Handler } from '@xauth/shared';
import { authorizeJob, type AuthorizeJobDeps } from '../../domain/authorize-job.use-case.js';

export const jobRequested =
  (deps: AuthorizeJobDeps): Handler<'authorization.job.requested'> =>
  (msg, ctx) =>
    authorizeJob(deps, msg, ctx.envelope);

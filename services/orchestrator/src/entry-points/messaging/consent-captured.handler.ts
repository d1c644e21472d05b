import type { Handler } from '@xauth/shared';
import type { OrchestratorDeps } from '../../domain/deps.js';
import { completeConsent } from '../../domain/use-cases/complete-consent.use-case.js';

export const consentCaptured =
  (deps: OrchestratorDeps): Handler<'authorization.consent.captured'> =>
  (msg, ctx) =>
    completeConsent(deps, msg, ctx.envelope);

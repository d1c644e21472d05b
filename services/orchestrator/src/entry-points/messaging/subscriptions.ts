import type { WorkQueueName } from '@xauth/contracts';
import type { HandlerMap } from '@xauth/shared';
import type { OrchestratorDeps } from '../../domain/deps.js';
import { attemptFailed } from './attempt-failed.handler.js';
import { consentCaptured } from './consent-captured.handler.js';
import { jobStarted } from './job-started.handler.js';
import { loginRequested } from './login-requested.handler.js';
import { refreshRequested } from './refresh-requested.handler.js';

/** The orchestrator's one list: which queue, which routing key, which handler. */
export function subscriptions(deps: OrchestratorDeps): Array<{ queue: WorkQueueName; handlers: HandlerMap }> {
  return [
    { queue: 'orchestrator.login-requests', handlers: { 'user.login.requested': loginRequested(deps) } },
    { queue: 'orchestrator.refresh-requests', handlers: { 'token.refresh.requested': refreshRequested(deps) } },
    {
      queue: 'orchestrator.authorization-results',
      handlers: {
        'authorization.job.started': jobStarted(deps),
        'authorization.consent.captured': consentCaptured(deps),
        'authorization.attempt.failed': attemptFailed(deps),
      },
    },
  ];
}

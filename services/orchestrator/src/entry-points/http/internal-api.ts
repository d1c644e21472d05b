import type { Express } from 'express';
import { z } from 'zod';
import {
  AccountId,
  AppName,
  AppParams,
  InternalReopenJobRequest,
  InternalRetryFailedLoginsRequest,
  InternalTokenReadsRequest,
  RecheckTokensRequest,
} from '@xauth/contracts';
import { parseInput, requireInternalToken, toErrorBody } from '@xauth/shared';
import type { OrchestratorDeps } from '../../domain/deps.js';
import { getAccountToken, getAccountTokens, getJobView } from '../../domain/use-cases/queries.js';
import { recheckDeadTokens } from '../../domain/use-cases/recheck-dead-tokens.use-case.js';
import { reopenJob } from '../../domain/use-cases/reopen-job.use-case.js';
import { retryFailedLogins } from '../../domain/use-cases/retry-failed-logins.use-case.js';

// Built once: a zod schema built per request is compiled per request.
const JobPath = z.object({ jobId: z.uuid() });
const AccountPath = z.object({ accountId: AccountId });
const AppQuery = z.object({ app: AppName.optional() });

/**
 * The internal query API the gateway routes to (INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR). The dead-letter
 * office's secret opens the job reopen route and nothing else.
 */
export function mountInternalApi(app: Express, deps: OrchestratorDeps, tokens: { gateway: string; deadLetters: string }): void {
  const requireInternal = requireInternalToken(tokens.gateway);
  app.get('/internal/v1/jobs/:jobId', requireInternal, async (req, res) => {
    const { jobId } = parseInput(JobPath, req.params, 'path');
    res.json(await getJobView(deps, jobId));
  });
  // Operator actions: the gateway (dlq:admin) and the dead-letter office (a replayed job letter) call these.
  app.post('/internal/v1/jobs/:jobId/reopen', requireInternalToken(tokens.gateway, tokens.deadLetters), async (req, res) => {
    const { jobId } = parseInput(JobPath, req.params, 'path');
    const { dryRun, by, reason, replayOf } = parseInput(InternalReopenJobRequest, req.body, 'body');
    res.json(await reopenJob(deps, jobId, { dryRun, by, reason, replayOf }));
  });
  app.post('/internal/v1/logins/retry-failed', requireInternal, async (req, res) => {
    const { filter, dryRun, by, reason } = parseInput(InternalRetryFailedLoginsRequest, req.body, 'body');
    res.json(await retryFailedLogins(deps, filter, { dryRun, by, reason }));
  });
  app.get('/internal/v1/accounts/:accountId/token', requireInternal, async (req, res) => {
    const { accountId } = parseInput(AccountPath, req.params, 'path');
    const { app } = parseInput(AppQuery, req.query, 'query');
    res.setHeader('cache-control', 'no-store');
    res.json(await getAccountToken(deps, accountId, app));
  });
  // The gateway's token reads of one moment together: one hop and one statement for all. Each answer
  // is what the single read would have answered, status and body.
  app.post('/internal/v1/tokens/read', requireInternal, async (req, res) => {
    const { reads } = parseInput(InternalTokenReadsRequest, req.body, 'body');
    res.setHeader('cache-control', 'no-store');
    const answers = await getAccountTokens(deps, reads);
    res.json({
      answers: answers.map((a) => {
        if ('ok' in a) return { status: 200, body: a.ok };
        const e = toErrorBody(a.error);
        return { status: e.status, body: { code: e.code, message: e.message } };
      }),
    });
  });
  // An operator's action: each dead token of the app (one page) gets its refresh token tried once.
  app.post('/internal/v1/apps/:app/tokens/recheck', requireInternal, async (req, res) => {
    const { app: appName } = parseInput(AppParams, req.params, 'path');
    const { limit, after } = parseInput(RecheckTokensRequest, req.body ?? {}, 'body');
    deps.logger.info('dead tokens recheck requested', { app: appName, actor: req.get('x-xauth-actor') });
    res.json(await recheckDeadTokens(deps, appName, { limit, after }));
  });
}

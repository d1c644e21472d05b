import { ErrorCode, ErrorCodes, ReopenJobResult } from '@xauth/contracts';
import { AppError, callHttp, errorMessage, type Logger } from '@xauth/shared';
import type { JobReopener } from '../domain/ports.js';

/**
 * The orchestrator's internal reopen (`POST /internal/v1/jobs/:jobId/reopen`, INTERNAL_TOKEN_DEAD_LETTERS_ORCHESTRATOR).
 * Its refusal keeps its code and message (a 409 for the letter); its being away is
 * `UPSTREAM_UNAVAILABLE`, and the letter stays as it was.
 */
export class OrchestratorJobs implements JobReopener {
  private readonly base: string;

  constructor(private readonly opts: { baseUrl: string; internalToken: string; timeoutMs: number; logger: Logger }) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
  }

  async reopen(jobId: string, o: { dryRun: boolean; by: string; reason: string; replayOf: string }): Promise<{ messageId?: string; requests: number }> {
    let res: Awaited<ReturnType<typeof callHttp>>;
    try {
      res = await callHttp(`${this.base}/internal/v1/jobs/${jobId}/reopen`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.opts.internalToken}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(o),
        timeoutMs: this.opts.timeoutMs,
        dependency: 'orchestrator',
        unavailableCode: ErrorCodes.UPSTREAM_UNAVAILABLE,
        rateLimitedCode: ErrorCodes.UPSTREAM_UNAVAILABLE,
      });
    } catch (err) {
      this.opts.logger.warn('the orchestrator did not take a job reopen', { jobId, error: errorMessage(err) });
      throw unavailable(`the orchestrator is unavailable, so job ${jobId} could not be reopened; the letter is unchanged, try again`);
    }
    if (res.status === 200) {
      const parsed = ReopenJobResult.safeParse(res.body);
      if (parsed.success) return { messageId: parsed.data.messageId, requests: parsed.data.requests };
    }
    const body = res.body as { code?: unknown; message?: unknown } | undefined;
    if (
      res.status >= 400 &&
      res.status < 500 &&
      res.status !== 401 &&
      res.status !== 403 &&
      ErrorCode.safeParse(body?.code).success &&
      typeof body?.message === 'string'
    ) {
      throw new AppError({ code: body.code as string, message: body.message.slice(0, 2000), httpStatus: 409, retryable: false });
    }
    this.opts.logger.error('unexpected answer from the orchestrator to a job reopen (check INTERNAL_TOKEN_DEAD_LETTERS_ORCHESTRATOR and ORCHESTRATOR_URL)', {
      jobId,
      status: res.status,
    });
    throw unavailable(`the orchestrator gave an unexpected answer (${res.status}) to reopening job ${jobId}`);
  }
}

function unavailable(message: string): AppError {
  return new AppError({ code: ErrorCodes.UPSTREAM_UNAVAILABLE, message, httpStatus: 503, retryable: true });
}

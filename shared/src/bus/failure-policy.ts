import type { ConsumeMessage, Options } from 'amqplib';
import { ErrorCodes, exchangeName, messages, queueName, retryQueueName, type RoutingKey, type WorkQueueName } from '@xauth/contracts';
import { AppError, errorMessage } from '../errors.js';
import { redact, redactText } from '../redact.js';
import type { FailureContext } from './bus-context.js';
import { HEADER, type Envelope } from './envelope.js';
import { originalProducer } from './producer-check.js';

export type FailureDecision =
  | { action: 'retry'; code: string; message: string; delayMs: number; deferred?: boolean }
  | { action: 'dead-letter'; code: string; message: string; outcomeReported?: boolean };

/** How often one message may be deferred (retried without spending an attempt) before deferrals count as attempts. */
export const MAX_DEFERRALS = 30;
/** The longest wait between deferrals. */
const MAX_DEFERRAL_DELAY_MS = 30_000;

/**
 * The one place that turns a handler's error into an outcome: retryable errors go back through the
 * retry exchange with exponential backoff and jitter until `maxAttempts`; everything else, and
 * the last attempt, is dead-lettered with its reason. Errors we did not type count as transient.
 */
export function decideFailure(err: unknown, attempt: number, maxAttempts: number, tiersMs: readonly number[], deferrals = 0): FailureDecision {
  const app = err instanceof AppError ? err : undefined;
  const code = app?.code ?? ErrorCodes.INTERNAL;
  const message = redactText(errorMessage(err)).slice(0, 1000);
  const retryable = app ? app.retryable : true;
  const reported = app?.outcomeReported ? { outcomeReported: true } : {};
  if (!retryable) return { action: 'dead-letter', code, message, ...reported };
  if (app?.deferred && deferrals < MAX_DEFERRALS) {
    // Nothing was tried: wait (growing, capped) without spending the attempt budget.
    const wait = Math.min(MAX_DEFERRAL_DELAY_MS, (tiersMs[0] ?? 1000) * 2 ** deferrals) * (0.8 + Math.random() * 0.4);
    return { action: 'retry', code, message, delayMs: Math.max(wait, app.retryAfterMs ?? 0), deferred: true };
  }
  if (attempt >= maxAttempts) return { action: 'dead-letter', code, message: `gave up after ${attempt} attempts: ${message}`, ...reported };
  const backoff = (tiersMs[0] ?? 1000) * 2 ** (attempt - 1);
  const jittered = backoff * (0.8 + Math.random() * 0.4);
  return { action: 'retry', code, message, delayMs: Math.max(jittered, app?.retryAfterMs ?? 0) };
}

/** The smallest tier that is at least `delayMs` (or the largest). */
export function pickTier(delayMs: number, tiersMs: readonly number[]): number {
  return tiersMs.find((t) => t >= delayMs) ?? tiersMs[tiersMs.length - 1]!;
}

function failureHeaders(ctx: FailureContext, queue: WorkQueueName, msg: ConsumeMessage, envelope: Envelope, d: FailureDecision): Record<string, unknown> {
  const now = new Date().toISOString();
  const { 'x-delivery-count': _brokerCount, [HEADER.originalUserId]: _claimed, ...h } = envelope.headers;
  const producer = originalProducer(msg, ctx);
  return {
    ...h,
    ...(producer !== undefined ? { [HEADER.originalUserId]: producer } : {}),
    [HEADER.errorCode]: d.code,
    [HEADER.errorMessage]: d.message,
    [HEADER.originalExchange]: h[HEADER.originalExchange] ?? msg.fields.exchange,
    [HEADER.originalRoutingKey]: h[HEADER.originalRoutingKey] ?? msg.fields.routingKey,
    [HEADER.originalQueue]: queueName(ctx.namespace, queue),
    [HEADER.service]: ctx.service,
    [HEADER.firstFailureAt]: h[HEADER.firstFailureAt] ?? now,
    [HEADER.lastFailureAt]: now,
  };
}

function carriedProperties(ctx: FailureContext, msg: ConsumeMessage, envelope: Envelope): Options.Publish {
  const p = msg.properties;
  return {
    persistent: true,
    // Published again by this consumer, so under its own user (the broker refuses another); the first publisher stays in x-original-user-id.
    userId: ctx.brokerUser,
    messageId: envelope.messageId,
    type: envelope.type,
    timestamp: p.timestamp as number | undefined,
    contentType: (p.contentType as string | undefined) ?? 'application/json',
    appId: p.appId as string | undefined,
    correlationId: envelope.correlationId,
  };
}

export function retryOptions(
  ctx: FailureContext,
  queue: WorkQueueName,
  msg: ConsumeMessage,
  envelope: Envelope,
  d: Extract<FailureDecision, { action: 'retry' }>,
) {
  const tier = pickTier(d.delayMs, ctx.retryTiersMs);
  const rq = retryQueueName(ctx.namespace, queue, tier);
  const options: Options.Publish = {
    ...carriedProperties(ctx, msg, envelope),
    // Per-message TTL below the tier's TTL spreads retries (jitter) without head-of-line blocking across tiers.
    expiration: String(Math.max(1, Math.min(tier, Math.round(d.delayMs)))),
    headers: d.deferred
      ? { ...failureHeaders(ctx, queue, msg, envelope, d), [HEADER.attempt]: envelope.attempt, [HEADER.deferrals]: envelope.deferrals + 1 }
      : { ...failureHeaders(ctx, queue, msg, envelope, d), [HEADER.attempt]: envelope.attempt + 1 },
  };
  return { exchange: exchangeName(ctx.namespace, 'retry'), routingKey: rq, options };
}

export function deadLetterOptions(
  ctx: FailureContext,
  queue: WorkQueueName,
  msg: ConsumeMessage,
  envelope: Envelope,
  d: FailureDecision,
  type: RoutingKey | undefined,
) {
  const secretFields = type ? messages[type].secretFields : undefined;
  let content = msg.content;
  if (secretFields?.length) {
    // Secrets never reach a stored dead letter: redacted at the source.
    try {
      content = Buffer.from(JSON.stringify(redact(JSON.parse(content.toString('utf8')), secretFields)));
    } catch {
      /* not JSON: nothing structured to redact */
    }
  }
  const headers = failureHeaders(ctx, queue, msg, envelope, d);
  return {
    exchange: exchangeName(ctx.namespace, 'dlx'),
    routingKey: String(headers[HEADER.originalRoutingKey]),
    content,
    options: {
      ...carriedProperties(ctx, msg, envelope),
      headers: {
        ...headers,
        [HEADER.attempt]: envelope.attempt,
        ...(d.action === 'dead-letter' && d.outcomeReported ? { [HEADER.outcomeReported]: true } : {}),
      },
    } as Options.Publish,
  };
}

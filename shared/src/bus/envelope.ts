import { createHash, randomUUID } from 'node:crypto';
import type { ConsumeMessage, Options } from 'amqplib';
import { dataSchemaId, isRoutingKey } from '@xauth/contracts';
import { injectTraceHeaders } from '../tracing.js';

/** The CloudEvents-style envelope, carried in AMQP properties and headers (binary mode). */
export interface Envelope {
  messageId: string;
  type: string;
  /** Source service (`appId`, `ce-source`). */
  source: string;
  correlationId: string;
  causationId?: string;
  /** Our own delivery attempt, 1-based; the broker's `x-death` is not ours to count. */
  attempt: number;
  /** Retries that spent no attempt because the work could not start (`x-deferrals`). */
  deferrals: number;
  timestamp: Date;
  headers: Record<string, unknown>;
}

export interface OutgoingEnvelope {
  type: string;
  source: string;
  messageId?: string;
  correlationId?: string;
  causationId?: string;
  attempt?: number;
  headers?: Record<string, unknown>;
}

export const HEADER = {
  attempt: 'x-attempt',
  deferrals: 'x-deferrals',
  causationId: 'x-causation-id',
  errorCode: 'x-error-code',
  errorMessage: 'x-error-message',
  originalExchange: 'x-original-exchange',
  originalRoutingKey: 'x-original-routing-key',
  originalQueue: 'x-original-queue',
  service: 'x-service',
  firstFailureAt: 'x-first-failure-at',
  lastFailureAt: 'x-last-failure-at',
  replayOf: 'x-replay-of',
  /** On a dead letter: its consumer had already reported the work ended, so replaying it cannot resume anything. */
  outcomeReported: 'x-outcome-reported',
} as const;

/**
 * AMQP publish options for a message: persistent JSON with the envelope and trace context. The
 * CloudEvents `time` is the AMQP `timestamp` property; it is not repeated in a header.
 */
export function publishOptions(env: OutgoingEnvelope): Options.Publish & { messageId: string } {
  const messageId = env.messageId ?? randomUUID();
  const headers: Record<string, unknown> = {
    'ce-specversion': '1.0',
    'ce-source': env.source,
    ...(isRoutingKey(env.type) ? { 'ce-dataschema': dataSchemaId(env.type) } : {}),
    [HEADER.attempt]: env.attempt ?? 1,
    ...(env.causationId ? { [HEADER.causationId]: env.causationId } : {}),
    ...env.headers,
  };
  injectTraceHeaders(headers);
  return {
    persistent: true,
    mandatory: false,
    messageId,
    type: env.type,
    timestamp: Math.floor(Date.now() / 1000),
    contentType: 'application/json',
    appId: env.source,
    correlationId: env.correlationId ?? messageId,
    headers,
  };
}

/**
 * Reads the envelope of a delivery. Publishers that send only a JSON body still work: what is
 * missing is filled (type from the routing key, a derived id) and listed in `filled` for a log line.
 */
export function readEnvelope(msg: ConsumeMessage): { envelope: Envelope; filled: string[] } {
  const p = msg.properties;
  const headers = (p.headers ?? {}) as Record<string, unknown>;
  const filled: string[] = [];
  let messageId = typeof p.messageId === 'string' && p.messageId ? p.messageId : undefined;
  if (!messageId) {
    // Deterministic, so a redelivery of the same bare message dedupes on the inbox.
    messageId = `derived-${sha256Prefix(msg.content)}`;
    filled.push('messageId');
  }
  const type = typeof p.type === 'string' && p.type ? p.type : msg.fields.routingKey;
  if (!p.type) filled.push('type');
  const correlationId = typeof p.correlationId === 'string' && p.correlationId ? p.correlationId : messageId;
  if (!p.correlationId) filled.push('correlationId');
  const rawAttempt = Number(headers[HEADER.attempt]);
  const attempt = Number.isInteger(rawAttempt) && rawAttempt >= 1 ? rawAttempt : 1;
  const rawDeferrals = Number(headers[HEADER.deferrals] ?? 0);
  const deferrals = Number.isInteger(rawDeferrals) && rawDeferrals >= 0 ? rawDeferrals : 0;
  return {
    envelope: {
      messageId,
      type,
      source: typeof p.appId === 'string' ? p.appId : String(headers['ce-source'] ?? 'unknown'),
      correlationId,
      causationId: typeof headers[HEADER.causationId] === 'string' ? (headers[HEADER.causationId] as string) : undefined,
      attempt,
      deferrals,
      timestamp: typeof p.timestamp === 'number' ? new Date(p.timestamp * 1000) : new Date(),
      headers,
    },
    filled,
  };
}

function sha256Prefix(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex').slice(0, 32);
}

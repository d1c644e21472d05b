import { createHash, randomUUID } from 'node:crypto';
import type { ConsumeMessage, Options } from 'amqplib';
import { dataSchemaId, isRoutingKey } from '@xauth/contracts';
import { injectTraceHeaders } from '../tracing.js';

/**
 * The envelope of a delivery: a CloudEvent in binary content mode (the CloudEvents AMQP binding's
 * `cloudEvents_` headers, see `CE_HEADER`) plus the same facts in AMQP 0-9-1 properties.
 */
export interface Envelope {
  messageId: string;
  type: string;
  /** Source service (`appId`, `cloudEvents_source`). */
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
  /** When the event happened (the CloudEvents `time`; the AMQP `timestamp` in seconds). @defaultValue now */
  time?: Date;
  /**
   * The `user-id` property: the broker user the publishing connection logged in as. RabbitMQ refuses
   * any other (406 PRECONDITION_FAILED), so consumers know who published (`producer-check.ts`).
   */
  userId?: string;
  headers?: Record<string, unknown>;
}

/**
 * CloudEvents attributes as headers, named as in the CloudEvents AMQP protocol binding (binary
 * content mode: `cloudEvents_` + the attribute name; the binding prefers `_` to `:` so JMS clients
 * can read them). `datacontenttype` is the `contentType` property, not a header. RabbitMQ 3.13+
 * hands these headers to AMQP 1.0 consumers as application properties.
 */
export const CE_HEADER = {
  specversion: 'cloudEvents_specversion',
  id: 'cloudEvents_id',
  source: 'cloudEvents_source',
  type: 'cloudEvents_type',
  time: 'cloudEvents_time',
  dataschema: 'cloudEvents_dataschema',
  /** The Distributed Tracing extension: the trace context the event was published in, when tracing is on. */
  traceparent: 'cloudEvents_traceparent',
  tracestate: 'cloudEvents_tracestate',
} as const;

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
  /** On a retry or a dead letter: the broker user that first published the message (its `user-id` then). */
  originalUserId: 'x-original-user-id',
  /** On a dead letter: its consumer had already reported the work ended, so replaying it cannot resume anything. */
  outcomeReported: 'x-outcome-reported',
} as const;

/**
 * AMQP publish options for a message: persistent JSON, the CloudEvent's attributes both as the
 * binding's `cloudEvents_` headers (for CloudEvents-aware consumers) and as AMQP 0-9-1 properties
 * (messageId, type, timestamp, contentType, appId: for RabbitMQ-native consumers), the publisher's
 * broker user as `userId` (which the broker checks), and the trace context.
 */
export function publishOptions(env: OutgoingEnvelope): Options.Publish & { messageId: string } {
  const messageId = env.messageId ?? randomUUID();
  const now = env.time?.getTime() ?? Date.now();
  const headers: Record<string, unknown> = {
    [CE_HEADER.specversion]: '1.0',
    [CE_HEADER.id]: messageId,
    [CE_HEADER.source]: env.source,
    [CE_HEADER.type]: env.type,
    [CE_HEADER.time]: new Date(now).toISOString(),
    ...(isRoutingKey(env.type) ? { [CE_HEADER.dataschema]: dataSchemaId(env.type) } : {}),
    [HEADER.attempt]: env.attempt ?? 1,
    ...(env.causationId ? { [HEADER.causationId]: env.causationId } : {}),
    ...env.headers,
  };
  injectTraceHeaders(headers);
  if (typeof headers.traceparent === 'string') {
    // Published straight from the span that made the event: one hop, so the extension carries the same context.
    headers[CE_HEADER.traceparent] = headers.traceparent;
    if (typeof headers.tracestate === 'string' && headers.tracestate) headers[CE_HEADER.tracestate] = headers.tracestate;
  }
  return {
    persistent: true,
    mandatory: false,
    messageId,
    type: env.type,
    timestamp: Math.floor(now / 1000),
    contentType: 'application/json',
    appId: env.source,
    userId: env.userId,
    correlationId: env.correlationId ?? messageId,
    headers,
  };
}

/**
 * Reads the envelope of a delivery. The AMQP properties come first; a publisher that sets only the
 * CloudEvents headers (either binding separator, `cloudEvents_` or `cloudEvents:`) or only the
 * `ce-` headers of earlier releases is read from those. Publishers that send only a JSON body still
 * work: what is missing is filled (type from the routing key, a derived id) and listed in `filled`
 * for a log line.
 */
export function readEnvelope(msg: ConsumeMessage): { envelope: Envelope; filled: string[] } {
  const p = msg.properties;
  const headers = (p.headers ?? {}) as Record<string, unknown>;
  const filled: string[] = [];
  let messageId = typeof p.messageId === 'string' && p.messageId ? p.messageId : ceAttribute(headers, 'id');
  if (!messageId) {
    // Deterministic, so a redelivery of the same bare message dedupes on the inbox.
    messageId = `derived-${sha256Prefix(msg.content)}`;
    filled.push('messageId');
  }
  let type = typeof p.type === 'string' && p.type ? p.type : ceAttribute(headers, 'type');
  if (!type) {
    type = msg.fields.routingKey;
    filled.push('type');
  }
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
      source: typeof p.appId === 'string' ? p.appId : (ceAttribute(headers, 'source') ?? 'unknown'),
      correlationId,
      causationId: typeof headers[HEADER.causationId] === 'string' ? (headers[HEADER.causationId] as string) : undefined,
      attempt,
      deferrals,
      timestamp: typeof p.timestamp === 'number' ? new Date(p.timestamp * 1000) : (ceTime(headers) ?? new Date()),
      headers,
    },
    filled,
  };
}

/**
 * A CloudEvents attribute from the headers: `cloudEvents_<name>`, `cloudEvents:<name>` (the binding's
 * other separator), or `ce-<name>`: the names of the HTTP and Kafka bindings that releases before
 * the move published, still read for one release.
 */
function ceAttribute(headers: Record<string, unknown>, name: 'id' | 'type' | 'source' | 'time'): string | undefined {
  const v = headers[CE_HEADER[name]] ?? headers[`cloudEvents:${name}`] ?? headers[`ce-${name}`];
  return typeof v === 'string' && v ? v : undefined;
}

function ceTime(headers: Record<string, unknown>): Date | undefined {
  // Only the RFC 3339 string form: AMQP 0-9-1's timestamp field type has no agreed unit across clients.
  const raw = ceAttribute(headers, 'time');
  const t = raw === undefined ? undefined : new Date(raw);
  return t && !Number.isNaN(t.getTime()) ? t : undefined;
}

function sha256Prefix(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex').slice(0, 32);
}

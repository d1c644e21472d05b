import type { ConsumeMessage } from 'amqplib';
import { ErrorCodes, isRoutingKey, messages, workQueues } from '@xauth/contracts';
import { CE_HEADER, HEADER, REDACTED } from '@xauth/shared';
import { whyPublisherRefused } from './letter-publisher.rule.js';
import type { DeadLetterRecord } from './model.js';

/** What the office reads of a delivery. */
export type Delivery = Pick<ConsumeMessage, 'content' | 'fields' | 'properties'>;

/** Headers that describe a failure; a replay starts without them (a fresh attempt count). */
const FAILURE_HEADERS = new Set<string>([
  HEADER.attempt,
  HEADER.deferrals,
  HEADER.errorCode,
  HEADER.errorMessage,
  HEADER.originalExchange,
  HEADER.originalRoutingKey,
  HEADER.originalQueue,
  HEADER.originalUserId,
  HEADER.service,
  HEADER.firstFailureAt,
  HEADER.lastFailureAt,
  HEADER.replayOf,
  HEADER.outcomeReported,
  'x-delivery-count',
]);
const isBrokerFailureHeader = (name: string) => /^x-(death|first-death-|last-death-)/.test(name);

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** AMQP timestamps arrive as seconds (numbers) or Dates; ours as ISO strings. */
function toDate(v: unknown): Date | undefined {
  const d = v instanceof Date ? v : typeof v === 'number' ? new Date(v * 1000) : typeof v === 'string' ? new Date(v) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
}

function serviceOfQueue(namespace: string, queue: string | undefined): string | null {
  const purpose = queue?.startsWith(`${namespace}.`) ? queue.slice(namespace.length + 1) : undefined;
  return purpose && purpose in workQueues ? workQueues[purpose as keyof typeof workQueues].service : null;
}

/**
 * The body with the contract's secret fields redacted. The consumer wrapper does it before it
 * dead-letters; what the broker dead-lettered by itself (delivery limit) never passed it.
 */
export function redactBody(body: Buffer, type: string): Buffer {
  const secretFields = secretFieldsOf(type);
  const fields = secretFields.length ? jsonObject(body) : undefined;
  if (!fields) return body; // no secrets in the contract, or not a JSON object: nothing structured to redact
  const found = secretFields.filter((k) => k in fields && fields[k] !== REDACTED);
  if (!found.length) return body;
  for (const k of found) fields[k] = REDACTED;
  return Buffer.from(JSON.stringify(fields));
}

const secretFieldsOf = (type: string): readonly string[] => (isRoutingKey(type) ? (messages[type].secretFields ?? []) : []);

function jsonObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a dead letter: the reason fields from our consumer wrapper's headers, or, for what the
 * broker dead-lettered itself (a quorum delivery limit), from `x-death`.
 */
export function readDeadLetter(msg: Delivery, messageId: string, namespace: string, now = new Date()): DeadLetterRecord {
  const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
  const { headers: _h, ...properties } = msg.properties as unknown as Record<string, unknown>;
  const type = typeof msg.properties.type === 'string' && msg.properties.type ? msg.properties.type : msg.fields.routingKey;
  const common = {
    messageId,
    body: redactBody(msg.content, type),
    headers,
    properties: Object.fromEntries(Object.entries(properties).filter(([, v]) => v !== undefined)),
  };
  const code = str(headers[HEADER.errorCode]);
  if (code) {
    const queue = str(headers[HEADER.originalQueue]) ?? null;
    return {
      ...common,
      originalExchange: str(headers[HEADER.originalExchange]) ?? null,
      routingKey: str(headers[HEADER.originalRoutingKey]) ?? msg.fields.routingKey,
      queue,
      service: str(headers[HEADER.service]) ?? serviceOfQueue(namespace, queue ?? undefined),
      errorCode: code,
      errorMessage: str(headers[HEADER.errorMessage]) ?? null,
      attempts: Math.max(1, Number(headers[HEADER.attempt]) || 1),
      firstFailureAt: toDate(headers[HEADER.firstFailureAt]) ?? null,
      lastFailureAt: toDate(headers[HEADER.lastFailureAt]) ?? now,
    };
  }
  const deaths = Array.isArray(headers['x-death']) ? (headers['x-death'] as Array<Record<string, unknown>>) : [];
  const death = deaths[0] ?? {};
  const reason = str(death.reason) ?? str(headers['x-first-death-reason']);
  const queue = str(death.queue) ?? str(headers['x-first-death-queue']) ?? null;
  const routingKeys = Array.isArray(death['routing-keys']) ? (death['routing-keys'] as unknown[]) : [];
  const deliveries = Number(headers['x-delivery-count']);
  return {
    ...common,
    originalExchange: str(death.exchange) ?? str(headers['x-first-death-exchange']) ?? null,
    routingKey: str(routingKeys[0]) ?? msg.fields.routingKey,
    queue,
    service: serviceOfQueue(namespace, queue ?? undefined),
    errorCode: reason === 'delivery_limit' ? ErrorCodes.DELIVERY_LIMIT_EXCEEDED : ErrorCodes.BROKER_DEAD_LETTERED,
    errorMessage:
      reason === 'delivery_limit'
        ? `the broker dead-lettered it after ${Number.isFinite(deliveries) ? deliveries : 'too many'} deliveries (its consumer crashed or rejected it each time)`
        : `the broker dead-lettered it${reason ? ` (reason: ${reason})` : ' without giving a reason'}`,
    attempts: Math.max(1, Number.isFinite(deliveries) ? deliveries : Number(headers[HEADER.attempt]) || 1),
    firstFailureAt: toDate(death.time) ?? null,
    lastFailureAt: toDate(death.time) ?? now,
  };
}

/** The headers a replay is published with: the original ones minus every failure header, a fresh attempt count, `x-replay-of`. */
export function replayHeaders(letter: Pick<DeadLetterRecord, 'headers' | 'messageId'>, replayMessageId?: string): Record<string, unknown> {
  const kept = Object.entries(letter.headers).filter(([k]) => !FAILURE_HEADERS.has(k) && !isBrokerFailureHeader(k));
  const headers: Record<string, unknown> = { ...Object.fromEntries(kept), [HEADER.attempt]: 1, [HEADER.replayOf]: letter.messageId };
  // A replay is a new delivery under a new messageId (so the inbox does not drop it): its CloudEvents id follows.
  if (replayMessageId && CE_HEADER.id in headers) headers[CE_HEADER.id] = replayMessageId;
  return headers;
}

/** Where a replay goes: the original exchange and routing key; with no exchange on record, straight to the original queue. */
export function replayTarget(letter: Pick<DeadLetterRecord, 'originalExchange' | 'routingKey' | 'queue'>): { exchange: string; routingKey: string } {
  if (letter.originalExchange) return { exchange: letter.originalExchange, routingKey: letter.routingKey };
  return letter.queue ? { exchange: '', routingKey: letter.queue } : { exchange: '', routingKey: letter.routingKey };
}

/** What a replay of a letter needs to tell the operator: start the work again instead. */
const START_AGAIN = 'start the work again instead (for a login, a new user.login.requested)';

/**
 * Why replaying this letter cannot do its work, if it cannot: the secrets it carried were redacted
 * before it was stored, or its publisher makes a replay unsafe (`whyPublisherRefused`). (A job
 * letter whose failure the worker reported, `x-outcome-reported`, is replayable: its replay reopens
 * the job at the orchestrator, which has its own checks.)
 */
export function whyNotReplayable(
  letter: Pick<DeadLetterRecord, 'body' | 'errorCode' | 'headers' | 'properties' | 'queue' | 'routingKey' | 'service'>,
): string | undefined {
  const secretFields = secretFieldsOf(str(letter.properties.type) ?? letter.routingKey);
  const fields = secretFields.length ? jsonObject(letter.body) : undefined;
  const redacted = fields ? secretFields.filter((k) => fields[k] === REDACTED) : [];
  if (redacted.length) {
    return `its ${redacted.join(' and ')} ${redacted.length > 1 ? 'were' : 'was'} redacted when it was dead-lettered (secrets are never stored), so a replay cannot carry ${redacted.length > 1 ? 'them' : 'it'}; ${START_AGAIN}`;
  }
  const refused = whyPublisherRefused(letter);
  return refused ? `${refused}; ${START_AGAIN}` : undefined;
}

/**
 * The job a letter asks for, when it is an `authorization.job.requested`: only the orchestrator owns
 * the job (and its deadline is old), so its replay asks the orchestrator to reopen the job instead
 * of republishing it. Undefined for any other letter; a job letter without a usable jobId has ''.
 */
export function jobOfLetter(letter: Pick<DeadLetterRecord, 'body' | 'properties' | 'routingKey'>): string | undefined {
  const type = str(letter.properties.type) ?? letter.routingKey;
  if (type !== JOB_REQUESTED && letter.routingKey !== JOB_REQUESTED) return undefined;
  const jobId = jsonObject(letter.body)?.jobId;
  return typeof jobId === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(jobId) ? jobId : '';
}
const JOB_REQUESTED = 'authorization.job.requested';

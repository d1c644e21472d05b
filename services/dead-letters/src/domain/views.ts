import type { DeadLetterActionView, DeadLetterView } from '@xauth/contracts';
import { whyNotReplayable } from './dead-letter.rule.js';
import type { DeadLetterAction, StoredDeadLetter } from './model.js';

function bodyOf(buf: Buffer): unknown {
  const text = buf.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A stored letter as the API shows it (its body was redacted at the source). */
export function toView(l: StoredDeadLetter): DeadLetterView {
  return {
    id: l.id,
    messageId: l.messageId,
    status: l.status,
    originalExchange: l.originalExchange,
    routingKey: l.routingKey,
    queue: l.queue,
    service: l.service,
    errorCode: l.errorCode,
    errorMessage: l.errorMessage,
    attempts: l.attempts,
    firstFailureAt: l.firstFailureAt?.toISOString() ?? null,
    lastFailureAt: l.lastFailureAt.toISOString(),
    replayCount: l.replayCount,
    receivedAt: l.receivedAt.toISOString(),
    updatedAt: l.updatedAt.toISOString(),
    body: bodyOf(l.body),
    properties: l.properties,
    headers: l.headers,
    notReplayable: whyNotReplayable(l) ?? null,
  };
}

export function toActionView(a: DeadLetterAction): DeadLetterActionView {
  return { action: a.action, actor: a.actor, reason: a.reason, at: a.at.toISOString(), replayMessageId: a.replayMessageId };
}

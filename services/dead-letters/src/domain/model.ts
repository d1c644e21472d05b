import type { DeadLetterFilter, DeadLetterStatus } from '@xauth/contracts';

/** A dead letter as it arrived: the message and why it died. */
export interface DeadLetterRecord {
  messageId: string;
  originalExchange: string | null;
  routingKey: string;
  queue: string | null;
  service: string | null;
  errorCode: string;
  errorMessage: string | null;
  attempts: number;
  firstFailureAt: Date | null;
  lastFailureAt: Date;
  body: Buffer;
  properties: Record<string, unknown>;
  headers: Record<string, unknown>;
}

export interface StoredDeadLetter extends DeadLetterRecord {
  id: string;
  status: DeadLetterStatus;
  replayCount: number;
  receivedAt: Date;
  updatedAt: Date;
}

export interface DeadLetterAction {
  action: 'replay' | 'discard';
  actor: string;
  reason: string;
  at: Date;
  replayMessageId: string | null;
}

/** Who asked for an action and why (recorded with it). */
export interface Requester {
  actor: string;
  reason: string;
}

export type { DeadLetterFilter };

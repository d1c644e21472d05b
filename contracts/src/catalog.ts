import type { z } from 'zod';
import * as m from './messages.js';
import type { Producer } from './producers.js';

/** Which exchange a message travels on: commands have one logical consumer, events any number. */
export type MessageKind = 'command' | 'event';

export interface MessageContract<S extends z.ZodType = z.ZodType> {
  /** The routing key, also the envelope `type`. */
  type: string;
  kind: MessageKind;
  /**
   * Who may publish it: xauth services (the broker-validated `user-id`, `xauth-<service>`) and, for
   * public commands, `upstream` (any other publisher). Consumers dead-letter anything else with
   * `FORGED_PRODUCER`; the broker users' permissions follow from it too.
   */
  producers: readonly Producer[];
  version: number;
  schema: S;
  /** Payload fields that are secrets: redacted wherever the message is logged or stored. */
  secretFields?: readonly string[];
  /** May travel as a targeted reply, `<type>.<replyTo>` (the request's `replyTo`). @defaultValue false */
  repliable?: boolean;
  /** What a consumer must know beyond the schema (e.g. when it may arrive more than once). */
  notes?: string;
  /**
   * How the dead-letter office replays a letter of this type: `republish` it (the default), or
   * `reopen` the work at its producer (a job is reopened at the orchestrator, never republished).
   * Letters whose secret fields were redacted cannot be replayed at all. @defaultValue 'republish'
   */
  replay?: 'republish' | 'reopen';
}

/**
 * `version` changes only with a breaking change to the schema, together with a new snapshot in
 * `contracts/schemas/<type>/v<version>.json` (`npm run contracts:snapshot`; contracts/test/schema-snapshots.test.ts).
 */
function contract<S extends z.ZodType>(
  type: string,
  kind: MessageKind,
  producers: readonly Producer[],
  schema: S,
  extra: { version?: number; secretFields?: readonly string[]; repliable?: boolean; notes?: string; replay?: 'republish' | 'reopen' } = {},
) {
  return {
    type,
    kind,
    producers,
    version: extra.version ?? 1,
    schema,
    secretFields: extra.secretFields,
    repliable: extra.repliable ?? false,
    notes: extra.notes,
    replay: extra.replay ?? 'republish',
  } satisfies MessageContract<S>;
}

/**
 * A login request's answer is not always its last: an operator may reopen its failed job (replaying
 * the dead-lettered `authorization.job.requested`, `POST /v1/jobs/{jobId}/reopen`, or
 * `POST /v1/logins/retry-failed`), and when the reopened job ends every request joined to it is
 * answered again with the same requestId and jobId.
 */
export const REANSWER_NOTE =
  'The same requestId may be answered again after an operator reopens its failed job (a replayed dead letter, ' +
  'POST /v1/jobs/{jobId}/reopen or POST /v1/logins/retry-failed): a user.authenticated after an earlier user.authentication.failed is the expected sequence, ' +
  'and the latest answer for a requestId stands.';

/** Every v1 message, by routing key. zod is the source of truth; types are inferred from it. */
export const messages = {
  'user.login.requested': contract('user.login.requested', 'command', ['upstream', 'gateway', 'orchestrator'], m.UserLoginRequested),
  'token.refresh.requested': contract('token.refresh.requested', 'command', ['upstream'], m.TokenRefreshRequested),
  'authorization.job.requested': contract('authorization.job.requested', 'command', ['orchestrator'], m.AuthorizationJobRequested, {
    notes:
      'A reopened job is requested again with the same jobId, attempt 1, a fresh deadline and a fresh PKCE state and verifier (so the authorizeUrl differs).',
    replay: 'reopen',
  }),
  'authorization.job.started': contract('authorization.job.started', 'event', ['browser-worker'], m.AuthorizationJobStarted),
  'authorization.consent.captured': contract('authorization.consent.captured', 'event', ['browser-worker'], m.AuthorizationConsentCaptured, {
    secretFields: ['code', 'state'],
  }),
  'authorization.attempt.failed': contract('authorization.attempt.failed', 'event', ['browser-worker'], m.AuthorizationAttemptFailed),
  'user.authenticated': contract('user.authenticated', 'event', ['orchestrator'], m.UserAuthenticated, { repliable: true, notes: REANSWER_NOTE }),
  'user.authentication.failed': contract('user.authentication.failed', 'event', ['orchestrator'], m.UserAuthenticationFailed, {
    repliable: true,
    notes: REANSWER_NOTE,
  }),
  'token.refreshed': contract('token.refreshed', 'event', ['orchestrator'], m.TokenRefreshed),
  'token.refresh.failed': contract('token.refresh.failed', 'event', ['orchestrator'], m.TokenRefreshFailed),
  'user.reauthorization.required': contract('user.reauthorization.required', 'event', ['orchestrator'], m.UserReauthorizationRequired),
  'account.offboarded': contract('account.offboarded', 'event', ['orchestrator'], m.AccountOffboarded, {
    notes: "Sent once the tokens were revoked at X and deleted: reads of the account's token answer 404 from then on. Forget the account.",
  }),
} as const;

export type Messages = typeof messages;
export type RoutingKey = keyof Messages;
/** The payload type of a routing key. */
export type Payload<K extends RoutingKey> = z.infer<Messages[K]['schema']>;

export function isRoutingKey(value: string): value is RoutingKey {
  return Object.prototype.hasOwnProperty.call(messages, value);
}

/** The routing key a message travels with: its type, or `<type>.<replyTo>` for a targeted reply of a repliable type. */
export function routingKeyFor(type: RoutingKey, replySuffix?: string): string {
  if (!replySuffix) return type;
  if (!messages[type].repliable) throw new Error(`${type} is not sent as a targeted reply; only repliable types take a routing-key suffix`);
  return `${type}.${replySuffix}`;
}

/**
 * The CloudEvents `dataschema` of a type's current version (the `cloudEvents_dataschema` header), e.g.
 * `urn:xauth:schema:user.authenticated:v1`. CloudEvents wants an absolute URI here; releases before
 * the move to the AMQP binding sent `xauth/user.authenticated/v1` in `ce-dataschema`.
 */
export function dataSchemaId(type: RoutingKey, version: number = messages[type].version): string {
  return `urn:xauth:schema:${type}:v${version}`;
}

/** Field names that must never be logged or stored in clear, across all contracts. */
export const SECRET_FIELD_NAMES: readonly string[] = [
  'code',
  'state',
  'codeVerifier',
  'verifier',
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'clientSecret',
  'client_secret',
  'password',
  'authorization',
  'token',
  'secret',
  'apiKey',
  'x-api-key',
  'cookie',
];

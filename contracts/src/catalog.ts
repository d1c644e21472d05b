import type { z } from 'zod';
import * as m from './messages.js';

/** Which exchange a message travels on: commands have one logical consumer, events any number. */
export type MessageKind = 'command' | 'event';

export interface MessageContract<S extends z.ZodType = z.ZodType> {
  /** The routing key, also the envelope `type`. */
  type: string;
  kind: MessageKind;
  version: number;
  schema: S;
  /** Payload fields that are secrets: redacted wherever the message is logged or stored. */
  secretFields?: readonly string[];
}

function contract<S extends z.ZodType>(type: string, kind: MessageKind, schema: S, secretFields?: readonly string[]) {
  return { type, kind, version: 1, schema, secretFields } satisfies MessageContract<S>;
}

/** Every v1 message, by routing key. zod is the source of truth; types are inferred from it. */
export const messages = {
  'user.login.requested': contract('user.login.requested', 'command', m.UserLoginRequested),
  'token.refresh.requested': contract('token.refresh.requested', 'command', m.TokenRefreshRequested),
  'authorization.job.requested': contract('authorization.job.requested', 'command', m.AuthorizationJobRequested),
  'authorization.job.started': contract('authorization.job.started', 'event', m.AuthorizationJobStarted),
  'authorization.consent.captured': contract('authorization.consent.captured', 'event', m.AuthorizationConsentCaptured, ['code', 'state']),
  'authorization.attempt.failed': contract('authorization.attempt.failed', 'event', m.AuthorizationAttemptFailed),
  'user.authenticated': contract('user.authenticated', 'event', m.UserAuthenticated),
  'user.authentication.failed': contract('user.authentication.failed', 'event', m.UserAuthenticationFailed),
  'token.refreshed': contract('token.refreshed', 'event', m.TokenRefreshed),
  'token.refresh.failed': contract('token.refresh.failed', 'event', m.TokenRefreshFailed),
  'user.reauthorization.required': contract('user.reauthorization.required', 'event', m.UserReauthorizationRequired),
} as const;

export type Messages = typeof messages;
export type RoutingKey = keyof Messages;
/** The payload type of a routing key. */
export type Payload<K extends RoutingKey> = z.infer<Messages[K]['schema']>;

export function isRoutingKey(value: string): value is RoutingKey {
  return Object.prototype.hasOwnProperty.call(messages, value);
}

/** Schema id carried in `ce-dataschema`, e.g. `xauth/user.authenticated/v1`. */
export function dataSchemaId(type: RoutingKey): string {
  return `xauth/${type}/v${messages[type].version}`;
}

/** Field names that must never be logged or stored in clear, across all contracts. */
export const SECRET_FIELD_NAMES: readonly string[] = [
  'code', 'state', 'codeVerifier', 'verifier', 'accessToken', 'refreshToken', 'access_token', 'refresh_token',
  'clientSecret', 'client_secret', 'password', 'authorization', 'token', 'secret', 'apiKey', 'x-api-key', 'cookie',
];

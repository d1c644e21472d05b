import { z } from 'zod';
import { AccountId, AppName } from './messages.js';
import { SERVICE_SCOPES } from './rest.js';

/** Client ids are plain identifiers, so an API key `<clientId>.<secret>` splits at the first dot. */
export const ClientId = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'must be 1-100 letters, digits, "_" or "-"');
const Scopes = z.array(z.enum(SERVICE_SCOPES)).min(1).max(SERVICE_SCOPES.length);
/** The X apps whose tokens a client may read (`tokens:read`); null or absent: every app. */
export const ClientApps = z.array(AppName).min(1).max(100).nullable();

/** `/v1/clients/{clientId}...`: the client. */
export const ClientParams = z.strictObject({ clientId: ClientId });

/** `POST /v1/clients`: a new client; its secret is generated and shown once, in the answer. */
export const CreateClientRequest = z.strictObject({
  clientId: ClientId,
  name: z.string().trim().min(1).max(200).optional(),
  scopes: Scopes,
  apps: ClientApps.optional(),
});

/** `PUT /v1/clients/{clientId}/apps`: the apps whose tokens the client may read; null lifts the limit. Applies within CLIENT_STATE_REFRESH_MS. */
export const UpdateClientAppsRequest = z.strictObject({ apps: ClientApps });

/** `PUT /v1/clients/{clientId}/scopes`: the client's new scopes. Removing one refuses the JWTs it already holds. */
export const UpdateClientScopesRequest = z.strictObject({ scopes: Scopes });

/** `POST /v1/clients/{clientId}/secret/rotate`. */
export const RotateClientSecretRequest = z.strictObject({
  /** How long the previous secret keeps working (0: at once no more). @defaultValue the gateway's CLIENT_SECRET_OVERLAP_SECONDS */
  overlapSeconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .optional(),
});

/** A client as operators see it: never its secret or its hash. */
export const ClientView = z.object({
  clientId: ClientId,
  name: z.string(),
  scopes: z.array(z.string()),
  /** The apps whose tokens it may read; null: every app. */
  apps: z.array(z.string()).nullable(),
  /** `bootstrap`: BOOTSTRAP_CLIENTS keeps it in line at each start; `operator`: changed over the API, bootstrap leaves it alone. */
  managedBy: z.enum(['bootstrap', 'operator']),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  disabledAt: z.iso.datetime().nullable(),
  /** Until then the secret before the last rotation works too; null when there is none. */
  previousSecretExpiresAt: z.iso.datetime().nullable(),
});
export const ClientList = z.object({ clients: z.array(ClientView) });
/** What creating a client or rotating its secret answers: the secret, shown this once. */
export const ClientWithSecret = z.object({ client: ClientView, clientSecret: z.string() });
export const DeletedClient = z.object({ clientId: ClientId, deleted: z.literal(true) });

/** A JWT signing key's place in its life: published before it signs, published after it stops until its last token expired. */
export const SigningKeyState = z.enum(['next', 'active', 'retiring', 'retired']);
export const SigningKeyView = z.object({
  kid: z.string(),
  state: SigningKeyState,
  createdAt: z.iso.datetime(),
  /** When it starts signing (every replica switches at this time). */
  activatesAt: z.iso.datetime(),
  /** When it leaves the JWKS and stops verifying: after the last token it signed has expired. */
  retiresAt: z.iso.datetime().nullable(),
});
export const SigningKeyList = z.object({
  keys: z.array(SigningKeyView),
  /** JWT_PRIVATE_KEY_PEM signs (rotation is then done by changing it); `database`: keys stored and rotated here. */
  source: z.enum(['configured', 'database']),
});
export const SigningKeyRotation = z.object({
  next: SigningKeyView,
  /** The key that signs until `next.activatesAt`, and when it retires. */
  previous: SigningKeyView.nullable(),
});

/** How an audited request ended: `ok` 2xx, `denied` 401/403, `rejected` other 4xx, `failed` 5xx. */
export const AuditOutcome = z.enum(['ok', 'denied', 'rejected', 'failed']);
export const AuditQuery = z.strictObject({
  clientId: ClientId.optional(),
  accountId: AccountId.optional(),
  /** e.g. `token.read`, `login.request`, `clients.disable`, `keys.signing.rotate`, `dead-letters.replay`. */
  action: z
    .string()
    .regex(/^[a-z0-9.-]{1,100}$/)
    .optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  /** `next` of the previous page. */
  before: z
    .string()
    .regex(/^[0-9]{1,19}$/)
    .optional(),
});
export const AuditEventView = z.object({
  id: z.string(),
  at: z.iso.datetime(),
  /** Who asked; null when the request carried no valid credentials. */
  clientId: z.string().nullable(),
  action: z.string(),
  /** The route, e.g. `POST /v1/clients/{clientId}/disable`. */
  route: z.string(),
  accountId: z.string().nullable(),
  app: z.string().nullable(),
  /** What else the action was on: a client id, a dead letter or job id, a key id. */
  target: z.string().nullable(),
  status: z.number().int(),
  outcome: AuditOutcome,
  requestId: z.string().nullable(),
});
export const AuditPage = z.object({ events: z.array(AuditEventView), next: z.string().optional() });

export type CreateClientRequest = z.infer<typeof CreateClientRequest>;
export type ClientView = z.infer<typeof ClientView>;
export type ClientWithSecret = z.infer<typeof ClientWithSecret>;
export type SigningKeyView = z.infer<typeof SigningKeyView>;
export type SigningKeyList = z.infer<typeof SigningKeyList>;
export type SigningKeyRotation = z.infer<typeof SigningKeyRotation>;
export type AuditQuery = z.infer<typeof AuditQuery>;
export type AuditEventView = z.infer<typeof AuditEventView>;
export type AuditPage = z.infer<typeof AuditPage>;
export type AuditOutcome = z.infer<typeof AuditOutcome>;

import { z } from 'zod';
import {
  AccountTokenView,
  ArtifactParams,
  BreakersView,
  ClientCredentialsRequest,
  ClientCredentialsResponse,
  CreateLoginRequest,
  CreateLoginResponse,
  DeadLetterActionRequest,
  DeadLetterActionResult,
  DeadLetterActionView,
  DeadLetterCounts,
  DeadLetterFilter,
  DeadLetterIdParams,
  DeadLetterListQuery,
  DeadLetterPage,
  DeadLetterView,
  DiscardDeadLettersRequest,
  ErrorBody,
  JobParams,
  JobView,
  ReopenJobRequest,
  ReopenJobResult,
  ReplayDeadLettersRequest,
  RetryFailedLoginsRequest,
  RetryFailedLoginsResult,
  SERVICE_SCOPES,
  TokenParams,
  TokenQuery,
  type ServiceScope,
} from './rest.js';
import { AppParams, RecheckTokensRequest, RecheckTokensResult } from './token-admin.js';
import { CampaignActionRequest, CampaignList, CampaignListQuery, CampaignParams, CampaignView, CreateCampaignRequest } from './campaigns.js';
import { EncryptionKeyUsage, ReencryptRequest, ReencryptResult } from './encryption-keys.js';
import { accountRoutes } from './accounts.routes.js';
import { clientAdminRoutes } from './admin-routes.js';
import type { RestRoute } from './rest-route.js';

export type { RestRoute };

const DeadLetterDetail = DeadLetterView.extend({ actions: z.array(DeadLetterActionView) });
const JwksDocument = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });

/** Every public route of the gateway; a gateway test checks this list against the routes it serves. */
export const restRoutes: readonly RestRoute[] = [
  {
    method: 'post',
    path: '/v1/oauth/token',
    summary: 'A service JWT for a client (client-credentials; the client in the body or HTTP Basic)',
    body: ClientCredentialsRequest,
    formBody: true,
    response: ClientCredentialsResponse,
  },
  { method: 'get', path: '/.well-known/jwks.json', summary: 'The public keys service JWTs are signed with', response: JwksDocument },
  {
    method: 'post',
    path: '/v1/logins',
    summary: 'Ask for an authorization (publishes user.login.requested); the outcome arrives on the bus',
    scope: 'logins:write',
    body: CreateLoginRequest,
    status: 202,
    response: CreateLoginResponse,
  },
  {
    method: 'get',
    path: '/v1/jobs/{jobId}',
    summary: 'An authorization job: status, last error, failure artifacts',
    scope: 'jobs:read',
    params: JobParams,
    response: JobView,
  },
  {
    method: 'post',
    path: '/v1/logins/retry-failed',
    summary:
      "Request failed logins again by filter (error code, account, time): each account's latest failed, dead-lettered or expired job is reopened, paced and audited; with a dry run",
    scope: 'dlq:admin',
    body: RetryFailedLoginsRequest,
    response: RetryFailedLoginsResult,
  },
  {
    method: 'post',
    path: '/v1/jobs/{jobId}/reopen',
    summary: 'Reopen a failed, dead-lettered or expired job (fresh deadline, attempt 1); its login requests are answered again when it ends',
    scope: 'dlq:admin',
    params: JobParams,
    body: ReopenJobRequest,
    response: ReopenJobResult,
  },
  {
    method: 'get',
    path: '/v1/jobs/{jobId}/artifacts/{attempt}/{file}',
    summary: "A failed attempt's screenshot, page HTML or Playwright trace (redacted)",
    scope: 'artifacts:read',
    params: ArtifactParams,
    response: { files: ['image/png', 'text/html', 'application/zip'] },
  },
  {
    method: 'get',
    path: '/v1/accounts/{accountId}/token',
    summary: "The account's current access token for an app (never cached)",
    scope: 'tokens:read',
    params: TokenParams,
    query: TokenQuery,
    response: AccountTokenView,
  },
  {
    method: 'get',
    path: '/v1/dead-letters',
    summary: 'Dead letters, newest first, filtered',
    scope: 'dlq:admin',
    query: DeadLetterListQuery,
    response: DeadLetterPage,
  },
  {
    method: 'get',
    path: '/v1/dead-letters/counts',
    summary: 'How many dead letters match, by error code and by queue',
    scope: 'dlq:admin',
    query: DeadLetterFilter,
    response: DeadLetterCounts,
  },
  {
    method: 'get',
    path: '/v1/dead-letters/{id}',
    summary: 'One dead letter with its body, headers, reason and every action on it',
    scope: 'dlq:admin',
    params: DeadLetterIdParams,
    response: DeadLetterDetail,
  },
  {
    method: 'post',
    path: '/v1/dead-letters/replay',
    summary: 'Replay a selection (ids or a filter), with a rate; a dry run runs the same checks and reports per letter. A job letter reopens its job',
    scope: 'dlq:admin',
    body: ReplayDeadLettersRequest,
    response: DeadLetterActionResult,
  },
  {
    method: 'post',
    path: '/v1/dead-letters/discard',
    summary: 'Discard a selection (kept, marked discarded)',
    scope: 'dlq:admin',
    body: DiscardDeadLettersRequest,
    response: DeadLetterActionResult,
  },
  {
    method: 'post',
    path: '/v1/dead-letters/{id}/replay',
    summary: 'Replay one dead letter (new messageId, x-replay-of, fresh attempt count; a job letter reopens its job)',
    scope: 'dlq:admin',
    params: DeadLetterIdParams,
    body: DeadLetterActionRequest,
    response: DeadLetterView.extend({ replayMessageId: z.string() }),
  },
  {
    method: 'post',
    path: '/v1/apps/{app}/tokens/recheck',
    summary: 'Try the refresh token of each dead token of an app once (a page): rotated tokens are active again, refused ones stay dead',
    scope: 'dlq:admin',
    params: AppParams,
    body: RecheckTokensRequest,
    response: RecheckTokensResult,
  },
  {
    method: 'get',
    path: '/v1/breakers',
    summary: "The circuit breakers of every dependency (GoLogin, X's pages, X's token endpoint per app) as the replicas share them",
    scope: 'dlq:admin',
    response: BreakersView,
  },
  {
    method: 'post',
    path: '/v1/campaigns',
    summary:
      'A login campaign: logins for a selection of accounts (without an active token, a list, or an error code), requested at a paced rate with a bound on those in flight',
    scope: 'logins:write',
    body: CreateCampaignRequest,
    status: 201,
    response: CampaignView,
  },
  {
    method: 'get',
    path: '/v1/campaigns',
    summary: 'Login campaigns, newest first, with their progress',
    scope: 'logins:write',
    query: CampaignListQuery,
    response: CampaignList,
  },
  {
    method: 'get',
    path: '/v1/campaigns/{campaignId}',
    summary: 'A login campaign and its progress (pending, queued, running, succeeded, failed by error code, cancelled)',
    scope: 'logins:write',
    params: CampaignParams,
    response: CampaignView,
  },
  {
    method: 'post',
    path: '/v1/campaigns/{campaignId}/pause',
    summary: 'Pause a campaign: no further login is requested until it is resumed',
    scope: 'logins:write',
    params: CampaignParams,
    body: CampaignActionRequest,
    response: CampaignView,
  },
  {
    method: 'post',
    path: '/v1/campaigns/{campaignId}/resume',
    summary: 'Resume a paused campaign',
    scope: 'logins:write',
    params: CampaignParams,
    body: CampaignActionRequest,
    response: CampaignView,
  },
  {
    method: 'post',
    path: '/v1/campaigns/{campaignId}/cancel',
    summary: 'Cancel a campaign: logins not yet requested never are; those requested run to their end',
    scope: 'logins:write',
    params: CampaignParams,
    body: CampaignActionRequest,
    response: CampaignView,
  },
  {
    method: 'post',
    path: '/v1/keys/encryption/reencrypt',
    summary:
      'Re-encrypt stored tokens, PKCE verifiers and states under the active encryption key: one page of a pass, online (rows in use are skipped for a later pass)',
    scope: 'keys:admin',
    body: ReencryptRequest,
    response: ReencryptResult,
  },
  {
    method: 'get',
    path: '/v1/keys/encryption/usage',
    summary: 'How many stored rows each encryption key id still holds, so an old key can be removed safely',
    scope: 'keys:admin',
    response: EncryptionKeyUsage,
  },
  {
    method: 'post',
    path: '/v1/dead-letters/{id}/discard',
    summary: 'Discard one dead letter (kept, marked discarded)',
    scope: 'dlq:admin',
    params: DeadLetterIdParams,
    body: DeadLetterActionRequest,
    response: DeadLetterView,
  },
  ...accountRoutes,
  ...clientAdminRoutes,
];

/** The express form of an OpenAPI path template: `/v1/jobs/{jobId}` → `/v1/jobs/:jobId`. */
export function expressPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ':$1');
}

const SCOPE_TEXT: Record<ServiceScope, string> = {
  'logins:write': 'ask for authorizations, one by one or in paced campaigns',
  'tokens:read': "read accounts' access tokens",
  'jobs:read': 'read authorization jobs',
  'artifacts:read': "download failed attempts' screenshots, pages and traces",
  'dlq:admin': 'list, replay and discard dead letters; reopen jobs and request failed logins again; recheck dead tokens',
  'accounts:admin': 'list, search and show accounts with their token states and history; pause, resume and offboard them',
  'keys:admin': 're-encrypt stored secrets under the active encryption key, see which keys are in use',
  'clients:admin': 'manage API clients (create, scopes, secret rotation, disable, delete) and rotate the JWT signing key',
  'audit:read': 'read the audit log: token reads, login requests and every admin action, by client and time',
};

type Json = Record<string, unknown>;

/**
 * A zod schema as a document embeds it: JSON Schema in the document's own dialect, so without `$schema`
 * (OpenAPI 3.1: 2020-12; AsyncAPI 3.0's default format: draft-07). What JSON Schema cannot say is open.
 */
export function embeddedJsonSchema(s: z.ZodType, io: 'input' | 'output', target: 'draft-2020-12' | 'draft-7' = 'draft-2020-12'): Json {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(s, { io, target, unrepresentable: 'any' }) as Json;
  return schema;
}
const inputSchema = (s: z.ZodType): Json => embeddedJsonSchema(s, 'input');
const outputSchema = (s: z.ZodType): Json => embeddedJsonSchema(s, 'output');

function parameters(obj: z.ZodObject | undefined, where: 'path' | 'query'): Json[] {
  if (!obj) return [];
  const schema = inputSchema(obj) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (schema.required ?? []).includes(name),
    schema: s,
  }));
}

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } } });

/** The OpenAPI 3.1 document of the gateway's public REST API, built from the same zod schemas the routes validate with. */
export function openApiDocument(opts: { version?: string } = {}): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of restRoutes) {
    const ok =
      'files' in r.response
        ? { description: 'the file', content: Object.fromEntries(r.response.files.map((t) => [t, { schema: { type: 'string', format: 'binary' } }])) }
        : { description: 'success', content: { 'application/json': { schema: outputSchema(r.response) } } };
    const body = r.body && {
      required: true,
      content: {
        'application/json': { schema: inputSchema(r.body) },
        ...(r.formBody ? { 'application/x-www-form-urlencoded': { schema: inputSchema(r.body) } } : {}),
      },
    };
    (paths[r.path] ??= {})[r.method] = {
      summary: r.summary,
      ...(r.scope ? { security: [{ serviceToken: [r.scope] }, { apiKey: [] }] } : { security: [] }),
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      ...(body ? { requestBody: body } : {}),
      responses: {
        [String(r.status ?? 200)]: ok,
        400: errorResponse('invalid input (VALIDATION_FAILED, with details)'),
        ...(r.scope
          ? {
              401: errorResponse('no or bad credentials (UNAUTHENTICATED)'),
              403: errorResponse(`the client lacks ${r.scope} (FORBIDDEN)`),
              429: errorResponse("the client's rate limit (RATE_LIMITED)"),
            }
          : {}),
        default: errorResponse('any other error: a stable code, a message and the request id'),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'xauth gateway',
      version: opts.version ?? '1',
      description:
        'Gets and keeps OAuth 2.0 tokens for X accounts. Logins are asked for here or on RabbitMQ (user.login.requested); outcomes are announced on the bus. Every error body is {code, message, requestId}.',
    },
    paths,
    components: {
      schemas: { ErrorBody: outputSchema(ErrorBody) },
      securitySchemes: {
        serviceToken: {
          type: 'oauth2',
          description: 'A service JWT from POST /v1/oauth/token, sent as Authorization: Bearer',
          flows: { clientCredentials: { tokenUrl: '/v1/oauth/token', scopes: Object.fromEntries(SERVICE_SCOPES.map((s) => [s, SCOPE_TEXT[s]])) } },
        },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: "<clientId>.<clientSecret>; the client's scopes apply" },
      },
    },
  };
}

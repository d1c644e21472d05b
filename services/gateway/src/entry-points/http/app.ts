import type { Express } from 'express';
import { createHttpApp, finishHttpApp, type Logger, type Metrics, type ReadinessCheck } from '@xauth/shared';
import type { InternalServiceClient } from '../../data-access/internal-service.client.js';
import type { ClientAuthenticator } from '../../domain/client-authenticator.js';
import type { PublishLogin } from '../../domain/request-login.use-case.js';
import type { ServiceTokens } from '../../domain/service-token.js';
import { accountsRoutes } from './accounts.routes.js';
import type { AuditLog } from '../../domain/audit-log.js';
import type { ClientStates } from '../../domain/client-states.js';
import type { ClientAdmin } from '../../domain/manage-clients.use-case.js';
import type { SigningKeys } from '../../domain/signing-keys.use-case.js';
import { artifactsRoutes } from './artifacts.routes.js';
import { auditTrail } from './audit.middleware.js';
import { auditRoutes } from './audit.routes.js';
import { clientsRoutes } from './clients.routes.js';
import { signingKeysRoutes } from './signing-keys.routes.js';
import { breakersRoutes } from './breakers.routes.js';
import { campaignsRoutes } from './campaigns.routes.js';
import { encryptionKeysRoutes } from './encryption-keys.routes.js';
import { authenticate } from './auth.middleware.js';
import { consoleRoutes } from './console.routes.js';
import { deadLettersRoutes } from './dead-letters.routes.js';
import { docsRoutes } from './docs.routes.js';
import { jwksRoutes } from './jwks.routes.js';
import { loginsRoutes } from './logins.routes.js';
import { operatorActionsRoutes } from './operator-actions.routes.js';
import { queriesRoutes } from './queries.routes.js';
import { clientRateLimit } from './rate-limit.middleware.js';
import { securityHeaders } from './security-headers.middleware.js';
import { tokenRateLimit } from './token-rate-limit.middleware.js';
import { tokenAdminRoutes } from './token-admin.routes.js';
import { tokenRoutes } from './token.routes.js';
import type { TokenReads } from '../../data-access/token-reads.client.js';

export interface GatewayAppDeps {
  logger: Logger;
  metrics: Metrics;
  readiness: Record<string, ReadinessCheck>;
  tokens: ServiceTokens;
  authenticator: ClientAuthenticator;
  orchestrator: InternalServiceClient;
  /** Consumers' token reads, batched to the orchestrator. */
  tokenReads: TokenReads;
  /** The orchestrator again, with the longer timeout of operator actions. */
  orchestratorActions: InternalServiceClient;
  deadLetters: InternalServiceClient;
  browserWorker: InternalServiceClient;
  publishLogin: PublishLogin;
  defaultApp: string;
  /** XAUTH_NAMESPACE: the exchange names the AsyncAPI document gives. */
  namespace: string;
  rateLimitPerMinute: number;
  /** Budgets of POST /v1/oauth/token, counted before the secret is checked. */
  tokenRateLimit: { perIpPerMinute: number; perClientPerMinute: number };
  jwksMaxAgeSeconds?: number;
  /** Issue 12: clients, signing keys, audit. */
  clientStates: ClientStates;
  clientAdmin: ClientAdmin;
  signingKeys: SigningKeys;
  audit: AuditLog;
  auditEvents: Parameters<typeof auditRoutes>[0]['auditEvents'];
}

/** The public REST app: open routes first, then everything under /v1 behind auth and the rate limit. */
export function buildGatewayApp(deps: GatewayAppDeps): { app: Express; stop: () => void } {
  // Public port: /ready says ready or not, /metrics and the details are on METRICS_PORT (start.ts).
  // Security headers on every answer, /health, errors and 404s included (the console sets its own stricter CSP on top).
  const app = createHttpApp({
    service: 'gateway',
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: deps.readiness,
    internalEndpoints: false,
    everyResponse: securityHeaders(),
  });
  const limit = clientRateLimit(deps.rateLimitPerMinute, deps.metrics);
  const tokenLimit = tokenRateLimit(deps.tokenRateLimit, deps.metrics);
  app.use(jwksRoutes(deps));
  app.use(docsRoutes({ namespace: deps.namespace }));
  app.use(consoleRoutes());
  app.use(tokenRoutes({ ...deps, limit: tokenLimit.middleware }));
  app.use('/v1', auditTrail(deps), authenticate(deps), limit.middleware);
  // First: token reads are most of the traffic, and every router before costs each request a walk.
  app.use(queriesRoutes(deps));
  app.use(loginsRoutes({ publish: deps.publishLogin, defaultApp: deps.defaultApp }));
  app.use(operatorActionsRoutes(deps));
  app.use(artifactsRoutes(deps));
  app.use(deadLettersRoutes(deps));
  app.use(tokenAdminRoutes(deps));
  app.use(breakersRoutes(deps));
  app.use(campaignsRoutes(deps));
  app.use(encryptionKeysRoutes(deps));
  app.use(accountsRoutes(deps));
  app.use(clientsRoutes(deps));
  app.use(signingKeysRoutes(deps));
  app.use(auditRoutes(deps));
  finishHttpApp(app, deps.logger);
  return {
    app,
    stop: () => {
      limit.stop();
      tokenLimit.stop();
    },
  };
}

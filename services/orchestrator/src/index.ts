export { loadOrchestratorConfig, orchestratorConfigShape, type OrchestratorConfig, type XApp } from './config.js';
export { startOrchestrator, type RunningOrchestrator } from './start.js';
export { createPkcePair, s256, createState, buildAuthorizeUrl } from './domain/pkce.js';
export { assertIdentity, type XIdentity } from './domain/identity.js';
export { refreshToken, type RefreshOutcome } from './domain/use-cases/refresh-token.use-case.js';
export { refreshDueTokens } from './domain/use-cases/refresh-due-tokens.use-case.js';
export { recheckDeadTokens, type RecheckResult } from './domain/use-cases/recheck-dead-tokens.use-case.js';
export { refreshFailureAction, refreshBackoffMs, AppPauses } from './domain/refresh-failure.rule.js';
export { XApiClient } from './data-access/x-api.client.js';

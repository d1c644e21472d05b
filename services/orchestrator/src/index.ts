export { loadOrchestratorConfig, orchestratorConfigShape, type OrchestratorConfig, type XApp } from './config.js';
export { startOrchestrator, type RunningOrchestrator } from './start.js';
export { createPkcePair, s256, createState, buildAuthorizeUrl } from './domain/pkce.js';
export { assertIdentity, type XIdentity } from './domain/identity.js';
export { refreshToken, refreshDueTokens, type RefreshOutcome } from './domain/use-cases/refresh-token.use-case.js';

export { loadBrowserWorkerConfig, browserWorkerConfigShape, type BrowserWorkerConfig } from './config.js';
export { startBrowserWorker, type RunningBrowserWorker } from './start.js';
export { runAuthorizeFlow } from './browser/authorize-flow.js';
export { profileLockKey } from './pool/profile-lock-key.js';
export { readZip } from './failure-artifacts/zip-redactor.js';
export type { Sampler, SystemSample } from './pool/system-sampler.js';

export { startXSim, type XSim } from './start.js';
export { DEFAULT_APP, type SimApp, type SimLogger, type XSimOptions } from './options.js';
export { SimState } from './sim-state.js';
export { simUsername, simProfileId, type SimUser, type SimProfile } from './domain/sim-users.store.js';
export { SCENARIO_NAMES, type ScenarioName, type ScenarioOptions } from './domain/scenarios.store.js';
export { FAULT_ENDPOINTS, type FaultEndpoint, type FaultSpec } from './domain/faults.store.js';
export type { SimStats } from './domain/sim-stats.store.js';
export type { RunningBrowser } from './browser/profile-browsers.registry.js';

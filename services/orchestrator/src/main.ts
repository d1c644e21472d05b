import { runService } from '@xauth/shared';
import { loadOrchestratorConfig } from './config.js';
import { startOrchestrator } from './start.js';

runService('orchestrator', loadOrchestratorConfig, startOrchestrator);

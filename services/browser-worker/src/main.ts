import { runService } from '@xauth/shared';
import { loadBrowserWorkerConfig } from './config.js';
import { startBrowserWorker } from './start.js';

runService('browser-worker', loadBrowserWorkerConfig, startBrowserWorker);

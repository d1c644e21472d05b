import { runService } from '@xauth/shared';
import { parseGatewayConfig } from './config.js';
import { startGateway } from './start.js';

runService('gateway', parseGatewayConfig, startGateway);

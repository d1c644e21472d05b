export { gatewayConfigShape, parseGatewayConfig, type GatewayConfig, type BootstrapClient } from './config.js';
export { startGateway, type GatewayOptions, type RunningGateway } from './start.js';

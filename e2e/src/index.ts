export * from './stack.js';
export * from './broker-probe.js';
export * from './http.js';
export * from './tcp-proxy.js';
export * from './service-process.js';
export * from './worker-metrics.js';
export * from './round-robin-proxy.js';
export * from './rabbit-cluster.js';

export * from './stack.js';
export * from './broker-probe.js';
export * from './http.js';

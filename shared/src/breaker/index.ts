export * from './breaker.rule.js';
export * from './breaker.store.js';
export * from './pg-breaker.store.js';
export * from './breaker.migration.js';
export * from './circuit-breaker.js';
export * from './circuit-breakers.js';
export * from './breakers.routes.js';

export * from './messages.js';
export * from './catalog.js';
export * from './topology.js';
export * from './definitions.js';
export * from './errors.js';
export * from './rest.js';
export * from './openapi.js';
export * from './asyncapi.js';

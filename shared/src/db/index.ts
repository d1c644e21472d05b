export * from './data-source.js';
export * from './schema-name.js';

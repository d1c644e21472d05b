export * from './data-source.js';
export * from './schema-name.js';
export * from './service-roles.js';
export * from './pg-transaction.js';
export * from './sql-runner.js';

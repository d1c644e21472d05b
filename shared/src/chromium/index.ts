export * from './chromium-launcher.js';
export * from './process-tree.js';
export * from './chromium-census.js';

export * from './app.js';
export * from './validate.js';
export * from './fetch.js';

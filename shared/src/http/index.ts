export * from './app.js';
export * from './validate.js';

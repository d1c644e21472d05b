export * from './call-budget.rule.js';
export * from './shared-call-budget.js';

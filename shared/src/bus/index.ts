export { Bus, type BusOptions, type PublishOptions } from './bus.js';
export * from './envelope.js';
export * from './subscription.js';
export * from './raw-consumer.js';
export * from './topology.js';
export { MAX_DEFERRALS, decideFailure, pickTier, type FailureDecision } from './failure-policy.js';

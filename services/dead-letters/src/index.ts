export { loadDeadLettersConfig, deadLettersConfigShape, type DeadLettersConfig } from './config.js';
export { startDeadLetters, type RunningDeadLetters } from './start.js';
export { readDeadLetter, replayHeaders, replayTarget } from './domain/dead-letter.rule.js';
export { ACTOR_HEADER } from './entry-points/http/internal.routes.js';

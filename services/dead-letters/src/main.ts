import { runService } from '@xauth/shared';
import { loadDeadLettersConfig } from './config.js';
import { startDeadLetters } from './start.js';

runService('dead-letters', loadDeadLettersConfig, startDeadLetters);

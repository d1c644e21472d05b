import { DeadLetterActionRow } from './dead-letter-action.entity.js';
import { DeadLetterRow } from './dead-letter.entity.js';
import { CreateDeadLetterTables1764000000000 } from './migrations/1764000000000-create-dead-letter-tables.migration.js';

export const entities = [DeadLetterRow, DeadLetterActionRow];
export const migrations = [CreateDeadLetterTables1764000000000];

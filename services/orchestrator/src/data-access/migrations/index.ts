import { OutboxInbox1763800000000 } from '@xauth/shared';
import { Initial1763800000100 } from './1763800000100-initial.js';
import { OperatorActions1765000000000 } from './1765000000000-operator-actions.js';

export const migrations = [OutboxInbox1763800000000, Initial1763800000100, OperatorActions1765000000000];

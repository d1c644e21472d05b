import { CircuitBreakers1766000000000, OutboxInbox1763800000000 } from '@xauth/shared';
import { Initial1763800000100 } from './1763800000100-initial.js';
import { RefreshBackoff1763800000200 } from './1763800000200-refresh-backoff.js';

export const migrations = [OutboxInbox1763800000000, Initial1763800000100, RefreshBackoff1763800000200, CircuitBreakers1766000000000];

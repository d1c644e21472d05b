import { CircuitBreakers1766000000000, OutboxInbox1763800000000 } from '@xauth/shared';
import { Initial1763800000100 } from './1763800000100-initial.js';
import { OperatorActions1765000000000 } from './1765000000000-operator-actions.js';
import { RefreshBackoff1763800000200 } from './1763800000200-refresh-backoff.js';
import { Campaigns1767000000000 } from './1767000000000-campaigns.js';
import { Accounts1767000000100 } from './1767000000100-accounts.js';
import { GoLoginCalls1768000000000 } from './1768000000000-gologin-calls.js';

// In timestamp order, as TypeORM runs them.
export const migrations = [
  OutboxInbox1763800000000,
  Initial1763800000100,
  RefreshBackoff1763800000200,
  OperatorActions1765000000000,
  CircuitBreakers1766000000000,
  Campaigns1767000000000,
  Accounts1767000000100,
  GoLoginCalls1768000000000,
];

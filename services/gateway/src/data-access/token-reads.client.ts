import { randomUUID } from 'node:crypto';
import DataLoader from 'dataloader';
import { ErrorCodes, type AccountTokenView } from '@xauth/contracts';
import { AppError } from '@xauth/shared';
import type { InternalServiceClient } from './internal-service.client.js';

interface TokenKey {
  accountId: string;
  app: string;
}
interface BatchAnswer {
  status: number;
  body: unknown;
}

/**
 * Consumers' token reads, to the orchestrator that owns the tokens. The reads that arrive in one turn
 * of the event loop go as one internal request (`POST /internal/v1/tokens/read`), which the
 * orchestrator answers with one statement: under load a hop and a query serve many reads, where a
 * hop and a query each would cost more than the read itself. Each read still gets exactly what the
 * single read would have answered (the token, or its own error). DataLoader does the batching,
 * without its cache: a token read is never served from memory.
 */
export class TokenReads {
  private readonly loader: DataLoader<TokenKey, AccountTokenView, string>;

  constructor(
    private readonly orchestrator: InternalServiceClient,
    maxBatch: number,
  ) {
    this.loader = new DataLoader((keys) => this.readAll(keys), {
      cache: false,
      maxBatchSize: maxBatch,
      // After the poll phase: the requests whose bytes came in the same turn are in one batch.
      batchScheduleFn: (run) => setImmediate(run),
    });
  }

  read(accountId: string, app: string): Promise<AccountTokenView> {
    return this.loader.load({ accountId, app });
  }

  private async readAll(keys: readonly TokenKey[]): Promise<Array<AccountTokenView | Error>> {
    const requestId = randomUUID();
    const answer = await this.orchestrator.post('/internal/v1/tokens/read', { reads: keys }, { requestId, correlationId: requestId });
    const answers = (answer as { answers?: unknown }).answers;
    if (!Array.isArray(answers) || answers.length !== keys.length) {
      throw new AppError({ code: ErrorCodes.UPSTREAM_UNAVAILABLE, message: 'the orchestrator gave an unexpected answer', httpStatus: 502, retryable: true });
    }
    return (answers as BatchAnswer[]).map((a) => (a?.status === 200 ? (a.body as AccountTokenView) : this.orchestrator.errorFor(a?.status ?? 502, a?.body)));
  }
}

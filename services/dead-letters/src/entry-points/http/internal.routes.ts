import { Router, type Request } from 'express';
import { z } from 'zod';
import { DeadLetterActionRequest, DeadLetterFilter, DeadLetterListQuery, DiscardDeadLettersRequest, ReplayDeadLettersRequest } from '@xauth/contracts';
import { ValidationError, parseInput, requireInternalToken } from '@xauth/shared';
import { actOnSelection } from '../../domain/act-on-selection.use-case.js';
import { discardOne } from '../../domain/discard.use-case.js';
import type { Requester } from '../../domain/model.js';
import { notFound, replayOne, type ReplayDeps } from '../../domain/replay.use-case.js';
import { toActionView, toView } from '../../domain/views.js';

export interface InternalRoutesDeps extends ReplayDeps {
  internalToken: string;
  defaultRate: number;
  maxRate: number;
  batchLimit: number;
}

/** Who is acting: the gateway passes the caller's client id; the internal token alone names nobody. */
export const ACTOR_HEADER = 'x-xauth-actor';
const Actor = z.string().regex(/^[A-Za-z0-9_.:@-]{1,200}$/);
const IdParams = z.object({ id: z.uuid() });

/** The internal API the gateway routes `/v1/dead-letters` to; only the gateway (INTERNAL_TOKEN_GATEWAY_DEAD_LETTERS) gets in. */
export function internalRoutes(deps: InternalRoutesDeps): Router {
  const router = Router();
  const base = '/internal/v1/dead-letters';
  router.use(base, requireInternalToken(deps.internalToken));
  const requester = (req: Request, reason: string): Requester => {
    const actor = Actor.safeParse(req.get(ACTOR_HEADER));
    if (!actor.success) throw new ValidationError({ message: `header ${ACTOR_HEADER} must name who acts (the caller's client id)` });
    return { actor: actor.data, reason };
  };
  const rate = (asked: number | undefined) => {
    if (asked !== undefined && asked > deps.maxRate) throw new ValidationError({ message: `rate ${asked}/s is above REPLAY_MAX_RATE (${deps.maxRate}/s)` });
    return asked ?? deps.defaultRate;
  };

  router.get(base, async (req, res) => {
    const q = parseInput(DeadLetterListQuery, req.query, 'query');
    const { limit, offset, ...filter } = q;
    const page = await deps.store.list(filter, limit, offset);
    res.json({ items: page.items.map(toView), total: page.total, limit, offset });
  });
  router.get(`${base}/counts`, async (req, res) => {
    res.json(await deps.store.counts(parseInput(DeadLetterFilter, req.query, 'query')));
  });
  router.get(`${base}/:id`, async (req, res) => {
    const { id } = parseInput(IdParams, req.params, 'path');
    const letter = await deps.store.get(id);
    if (!letter) throw notFound(id);
    res.json({ ...toView(letter), actions: (await deps.store.actionsOf(id)).map(toActionView) });
  });
  router.post(`${base}/replay`, async (req, res) => {
    const body = parseInput(ReplayDeadLettersRequest, req.body, 'body');
    const selection = body.ids ? { ids: body.ids } : { filter: body.filter! };
    res.json(
      await actOnSelection(
        deps.store,
        selection,
        { dryRun: body.dryRun, batchLimit: deps.batchLimit, ratePerSecond: rate(body.rate), by: requester(req, body.reason) },
        (id, by, o) => replayOne(deps, id, by, o),
      ),
    );
  });
  router.post(`${base}/discard`, async (req, res) => {
    const body = parseInput(DiscardDeadLettersRequest, req.body, 'body');
    const selection = body.ids ? { ids: body.ids } : { filter: body.filter! };
    res.json(
      await actOnSelection(deps.store, selection, { dryRun: body.dryRun, batchLimit: deps.batchLimit, by: requester(req, body.reason) }, (id, by, o) =>
        discardOne(deps, id, by, o),
      ),
    );
  });
  router.post(`${base}/:id/replay`, async (req, res) => {
    const { id } = parseInput(IdParams, req.params, 'path');
    const { reason } = parseInput(DeadLetterActionRequest, req.body, 'body');
    const { replayMessageId, reopenedJobId } = await replayOne(deps, id, requester(req, reason));
    res.json({ ...toView((await deps.store.get(id))!), replayMessageId, ...(reopenedJobId ? { reopenedJobId } : {}) });
  });
  router.post(`${base}/:id/discard`, async (req, res) => {
    const { id } = parseInput(IdParams, req.params, 'path');
    const { reason } = parseInput(DeadLetterActionRequest, req.body, 'body');
    await discardOne(deps, id, requester(req, reason));
    res.json(toView((await deps.store.get(id))!));
  });
  return router;
}

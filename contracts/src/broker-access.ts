import { messages, type RoutingKey } from './catalog.js';
import { SERVICES, brokerUserOf, type ServiceName } from './producers.js';
import { DEAD_LETTER_QUEUE, workQueues, type ExchangeRole } from './topology.js';

type TopicRole = Extract<ExchangeRole, 'commands' | 'events'>;
const TOPIC_ROLES: readonly TopicRole[] = ['commands', 'events'];
const ROLE_ORDER: readonly ExchangeRole[] = ['commands', 'events', 'retry', 'dlx'];

/** What one service does on the broker, derived from the topology and the catalog's producers. */
export interface ServiceAccess {
  service: ServiceName;
  /** Its RabbitMQ user. */
  user: string;
  /** Work queues it consumes and declares (purpose names), each with its retry tiers. */
  workQueues: string[];
  /** It consumes and declares the dead-letter queue (the dead-letter office). */
  deadLetterQueue: boolean;
  /** Exchanges it declares: those it publishes to or binds its queues from. */
  declares: ExchangeRole[];
  publishesTo: ExchangeRole[];
  bindsFrom: ExchangeRole[];
  /**
   * Its retry tiers dead-letter back through the default exchange, and RabbitMQ checks write on
   * `amq.default` when such a queue is declared. That write lets the user publish into any queue of
   * the vhost by name, which is why consumers also check who published (`FORGED_PRODUCER`).
   */
  defaultExchange: boolean;
  /** Routing keys it publishes, per topic exchange (its topic permissions). */
  publishes: Record<TopicRole, RoutingKey[]>;
  /** Binding keys of its queues, per topic exchange. */
  binds: Record<TopicRole, RoutingKey[]>;
}

const exchangeOfKind = (type: RoutingKey): TopicRole => (messages[type].kind === 'command' ? 'commands' : 'events');
const allTypes = () => Object.keys(messages) as RoutingKey[];
const ordered = (roles: Iterable<ExchangeRole>): ExchangeRole[] => {
  const set = new Set(roles);
  return ROLE_ORDER.filter((r) => set.has(r));
};

/**
 * The types the dead-letter office republishes when a letter is replayed: those a work queue
 * consumes, that are replayed by republishing (not reopened at their owner), without secret fields
 * (which are redacted before a letter is stored, so such letters are never replayable).
 */
export function replayedTypes(): RoutingKey[] {
  const consumed = new Set(Object.values(workQueues).flatMap((q) => q.consumes as readonly RoutingKey[]));
  return allTypes().filter((t) => consumed.has(t) && messages[t].replay === 'republish' && !messages[t].secretFields?.length);
}

/** Types a service publishes: those whose producers name it, and for the dead-letter office the replayed ones. */
export function publishedTypes(service: ServiceName): RoutingKey[] {
  const replays = service === 'dead-letters' ? new Set(replayedTypes()) : new Set<RoutingKey>();
  return allTypes().filter((t) => (messages[t].producers as readonly string[]).includes(service) || replays.has(t));
}

export function serviceAccess(service: ServiceName): ServiceAccess {
  const queues = Object.entries(workQueues).filter(([, q]) => q.service === service);
  const consumer = queues.length > 0;
  const deadLetterQueue = service === 'dead-letters';
  const published = publishedTypes(service);
  const publishes: Record<TopicRole, RoutingKey[]> = { commands: [], events: [] };
  for (const t of published) publishes[exchangeOfKind(t)].push(t);
  const binds: Record<TopicRole, RoutingKey[]> = { commands: [], events: [] };
  for (const [, q] of queues) for (const b of q.bindings) binds[b.exchange].push(b.pattern);
  const publishesTo = ordered([...TOPIC_ROLES.filter((r) => publishes[r].length), ...(consumer ? (['retry', 'dlx'] as const) : [])]);
  const bindsFrom = ordered([
    ...TOPIC_ROLES.filter((r) => binds[r].length),
    ...(consumer ? (['retry'] as const) : []),
    ...(deadLetterQueue ? (['dlx'] as const) : []),
  ]);
  return {
    service,
    user: brokerUserOf(service),
    workQueues: queues.map(([purpose]) => purpose),
    deadLetterQueue,
    declares: ordered([...publishesTo, ...bindsFrom]),
    publishesTo,
    bindsFrom,
    defaultExchange: consumer,
    publishes,
    binds,
  };
}

/** Any namespace (XAUTH_NAMESPACE's own rule): development and test brokers, where every test has its own. */
export const ANY_NAMESPACE_PATTERN = '[a-z][a-z0-9-]*';

/** `s` as a regex that matches it literally. */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
const anchored = (alternatives: string[]) => (alternatives.length ? `^(${alternatives.join('|')})$` : '^$');

/**
 * A user's RabbitMQ permissions (configure, write, read regexes) in a vhost: exactly the exchanges
 * and queues of its `ServiceAccess`, in the namespaces `namespacePattern` matches (a production
 * broker: its namespace, escaped; a development one: `ANY_NAMESPACE_PATTERN`).
 */
export function permissionsOf(service: ServiceName, namespacePattern: string): { configure: string; write: string; read: string } {
  const a = serviceAccess(service);
  const queues = [...a.workQueues.map((p) => `${escapeRegex(p)}(\\.retry\\.[0-9]+)?`), ...(a.deadLetterQueue ? [escapeRegex(DEAD_LETTER_QUEUE)] : [])];
  // Names inside the namespace, and the default exchange (not namespaced) beside them.
  const inNamespace = (names: string[], defaultExchange = false) => {
    const alternatives = [...(names.length ? [`${namespacePattern}\\.(${names.join('|')})`] : []), ...(defaultExchange ? ['amq\\.default'] : [])];
    return alternatives.length ? `^(${alternatives.join('|')})$` : '^$';
  };
  return {
    configure: inNamespace([...a.declares, ...queues]),
    write: inNamespace([...a.publishesTo, ...queues], a.defaultExchange),
    read: inNamespace([...a.bindsFrom, ...queues]),
  };
}

/**
 * A user's topic permissions on one namespace's topic exchanges (RabbitMQ matches them by exact
 * exchange name, so each namespace needs its own): the routing keys it may publish (a repliable
 * type with its `.<replyTo>` suffix) and the binding keys it may bind (with the `.#` form that
 * connecting removes when a type is not repliable).
 */
export function topicPermissionsOf(service: ServiceName, namespace: string): Array<{ exchange: string; write: string; read: string }> {
  const a = serviceAccess(service);
  return TOPIC_ROLES.filter((r) => a.publishesTo.includes(r) || a.bindsFrom.includes(r)).map((role) => ({
    exchange: `${namespace}.${role}`,
    write: anchored(a.publishes[role].map((t) => (messages[t].repliable ? `${escapeRegex(t)}(\\..+)?` : escapeRegex(t)))),
    read: a.binds[role].length ? `^(${a.binds[role].map(escapeRegex).join('|')})(\\.#)?$` : '^$',
  }));
}

export interface BrokerUserDefinitionsOptions {
  vhost?: string;
  /** Regex of the namespaces the permissions cover. */
  namespacePattern: string;
  /** Namespaces whose topic exchanges get topic permissions (matched by exact name). */
  topicNamespaces: readonly string[];
  /** A user's `password_hash` (RabbitMQ's definitions format). @defaultValue '' (no password: it cannot log in until one is set) */
  passwordHash?: (service: ServiceName) => string;
}

/** The services' users with their permissions and topic permissions, in RabbitMQ's definitions format. */
export function brokerUserDefinitions(opts: BrokerUserDefinitionsOptions) {
  const vhost = opts.vhost ?? '/';
  return {
    users: SERVICES.map((s) => ({
      name: brokerUserOf(s),
      password_hash: opts.passwordHash?.(s) ?? '',
      hashing_algorithm: 'rabbit_password_hashing_sha256',
      tags: [] as string[],
    })),
    permissions: SERVICES.map((s) => ({ user: brokerUserOf(s), vhost, ...permissionsOf(s, opts.namespacePattern) })),
    topic_permissions: SERVICES.flatMap((s) =>
      opts.topicNamespaces.flatMap((ns) => topicPermissionsOf(s, ns).map((p) => ({ user: brokerUserOf(s), vhost, ...p }))),
    ),
  };
}

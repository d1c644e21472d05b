/** xauth's services that use the broker; each connects to RabbitMQ as a user of its own. */
export const SERVICES = ['gateway', 'orchestrator', 'browser-worker', 'dead-letters'] as const;
export type ServiceName = (typeof SERVICES)[number];

/**
 * A publisher outside xauth (an upstream service): any broker user that is not one of xauth's, or
 * a message without `user-id`. Only public commands name it among their producers.
 */
export const UPSTREAM = 'upstream';
export type Producer = ServiceName | typeof UPSTREAM;

const USER_PREFIX = 'xauth-';

export function isServiceName(value: string): value is ServiceName {
  return (SERVICES as readonly string[]).includes(value);
}

/** The RabbitMQ user a service connects as (`xauth-<service>`); consumers map a message's `user-id` back with `serviceOfBrokerUser`. */
export function brokerUserOf(service: ServiceName): string {
  return `${USER_PREFIX}${service}`;
}

/** The xauth service a broker user is, or undefined for any other user (an upstream publisher, or none). */
export function serviceOfBrokerUser(user: string | undefined): ServiceName | undefined {
  const name = user?.startsWith(USER_PREFIX) ? user.slice(USER_PREFIX.length) : undefined;
  return name !== undefined && isServiceName(name) ? name : undefined;
}

/**
 * The development password of a service's broker user: `npm start` and `npm test` create the users
 * with it, and services use it when NODE_ENV is development or test and no password is configured.
 * A production broker's users get theirs from the operator (their definitions carry none).
 */
export function devBrokerPassword(service: ServiceName): string {
  return `dev-broker-${service}`;
}

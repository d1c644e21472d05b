// The development broker users: what `npm start`, `npm test` and the test harnesses need so that
// every service logs in as its own user (`xauth-<service>`) on a development or test broker.
// Production brokers get `infra/rabbitmq/definitions.json` (no passwords) and the operator's passwords.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { ANY_NAMESPACE_PATTERN, SERVICES, brokerUserDefinitions, brokerUserOf, devBrokerPassword, rabbitDefinitions, type ServiceName } from '@xauth/contracts';

/** RabbitMQ's `rabbit_password_hashing_sha256`: base64(salt ‖ sha256(salt ‖ password)) with a 4-byte salt. */
export function rabbitPasswordHash(password: string, salt: Buffer = randomBytes(4)): string {
  return Buffer.concat([salt, createHash('sha256').update(salt).update(password, 'utf8').digest()]).toString('base64');
}

/**
 * The development users in RabbitMQ's definitions format: each service's user with its development
 * password, permissions on any namespace (every test has its own), and topic permissions on the
 * exchanges of `topicNamespaces` (RabbitMQ matches those by exact name).
 */
export function devBrokerDefinitions(topicNamespaces: readonly string[] = ['xauth']) {
  return brokerUserDefinitions({ namespacePattern: ANY_NAMESPACE_PATTERN, topicNamespaces, passwordHash: (s) => rabbitPasswordHash(devBrokerPassword(s)) });
}

/**
 * What docker-compose's broker loads at boot (`infra/rabbitmq/definitions.dev.json`, written by
 * `npm run topology:export`): the `xauth` namespace's topology, the development users, and `guest`
 * as the administrator of the management UI. Salts derive from the user names, so the file only
 * changes when the users or their permissions do.
 */
export function composeBrokerDefinitions() {
  const salt = (user: string) => createHash('sha256').update(`xauth-dev-salt:${user}`).digest().subarray(0, 4);
  const { exchanges, queues, bindings } = rabbitDefinitions('xauth');
  const users = brokerUserDefinitions({
    namespacePattern: ANY_NAMESPACE_PATTERN,
    topicNamespaces: ['xauth'],
    passwordHash: (s) => rabbitPasswordHash(devBrokerPassword(s), salt(brokerUserOf(s))),
  });
  return {
    users: [
      {
        name: 'guest',
        password_hash: rabbitPasswordHash('guest', salt('guest')),
        hashing_algorithm: 'rabbit_password_hashing_sha256',
        tags: ['administrator'],
      },
      ...users.users,
    ],
    vhosts: [{ name: '/' }],
    permissions: [{ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' }, ...users.permissions],
    topic_permissions: users.topic_permissions,
    exchanges,
    queues,
    bindings,
  };
}

/** The URL a service's development user logs in with at `host` (`host:port`, optionally `/vhost`). */
export function devBrokerUrl(service: ServiceName, host = '127.0.0.1:5672'): string {
  return `amqp://${brokerUserOf(service)}:${devBrokerPassword(service)}@${host}`;
}

/** Whether every service's user logs in with its development password. */
export async function devBrokerUsersLogIn(host = '127.0.0.1:5672'): Promise<boolean> {
  const results = await Promise.all(
    SERVICES.map(async (s) => {
      try {
        const conn = await amqplib.connect(devBrokerUrl(s, host));
        await conn.close();
        return true;
      } catch {
        return false;
      }
    }),
  );
  return results.every(Boolean);
}

/** Runs `rabbitmqctl <args>` with `input` on its stdin: the machine's by default; a test cluster passes its own. */
export type RabbitCtl = (args: string[], input: string) => Promise<unknown>;

/** Runs a command with `input` on its stdin; rejects with its stderr when it fails. */
export function runWithInput(file: string, args: string[], input: string, env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: 60_000, env }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
    child.stdin?.end(input);
  });
}

const machineCtl: RabbitCtl = (args, input) => runWithInput('rabbitmqctl', args, input);

/**
 * Imports definitions with `rabbitmqctl import_definitions --format json` (from stdin: the machine's rabbitmqctl
 * runs as the rabbitmq user, who may not read our temp files).
 */
export async function importDefinitions(definitions: object, ctl: RabbitCtl = machineCtl): Promise<void> {
  await ctl(['import_definitions', '--format', 'json'], JSON.stringify(definitions));
}

export interface EnsureDevBrokerUsersOptions {
  /** The broker, `host:port`. @defaultValue 127.0.0.1:5672 */
  host?: string;
  /** Namespaces that get topic permissions. @defaultValue ['xauth'] */
  topicNamespaces?: readonly string[];
  ctl?: RabbitCtl;
  /** How long the (asynchronous) import may take to show. @defaultValue 30000 */
  timeoutMs?: number;
}

/**
 * Makes the development users exist with their passwords and today's permissions. An import is one
 * `rabbitmqctl` call (an Erlang VM start, 1-3 s), so it is skipped when a marker in the temp dir
 * says this very set of users and permissions went into this broker and the users still log in.
 * Throws with what to do when it cannot (no rabbitmqctl: a remote broker).
 */
export async function ensureDevBrokerUsers(opts: EnsureDevBrokerUsersOptions = {}): Promise<void> {
  const host = opts.host ?? '127.0.0.1:5672';
  const topicNamespaces = opts.topicNamespaces ?? ['xauth'];
  const fingerprint = createHash('sha256')
    .update(JSON.stringify(brokerUserDefinitions({ namespacePattern: ANY_NAMESPACE_PATTERN, topicNamespaces })))
    .digest('hex');
  const marker = join(tmpdir(), `xauth-broker-users-${host.replace(/[^a-z0-9]+/gi, '_')}.json`);
  if (readMarker(marker) === fingerprint && (await devBrokerUsersLogIn(host))) return;
  try {
    await importDefinitions(devBrokerDefinitions(topicNamespaces), opts.ctl);
  } catch (err) {
    throw new Error(
      `could not create the development broker users (xauth-<service>) at ${host} with rabbitmqctl: ${err instanceof Error ? err.message : String(err)}. ` +
        'Import them where rabbitmqctl reaches the broker: node -e "import(\'@xauth/shared/broker-users\').then((m) => console.log(JSON.stringify(m.devBrokerDefinitions())))" | rabbitmqctl import_definitions --format json',
      { cause: err },
    );
  }
  // The import runs asynchronously in the broker: wait until the users log in.
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (!(await devBrokerUsersLogIn(host))) {
    if (Date.now() > deadline) throw new Error(`the development broker users were imported but do not log in at ${host}; see the broker's log`);
    await new Promise((r) => setTimeout(r, 200));
  }
  writeFileSync(marker, fingerprint);
}

function readMarker(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

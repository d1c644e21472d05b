// Makes a machine ready to build, start and test xauth: dependencies, build, RabbitMQ (with the
// services' development users), PostgreSQL and Chromium. Uses what is reachable; starts what is installed; installs with apt
// what is missing when it can (as root); otherwise says exactly what is missing and how to get it.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { commandExists, log, run, tcpReachable, waitForTcp } from './proc.mjs';
import { DATABASE_ADMIN_URL, provisionServiceRoles } from './database-roles.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The broker the services use; without credentials each logs in as its own user (xauth-<service>). */
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://127.0.0.1:5672';
export const CHROMIUM_PATH = process.env.XSIM_CHROMIUM_PATH ?? '/usr/bin/chromium';

class Missing extends Error {}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
let aptUpdated = false;

async function aptInstall(pkgs, why) {
  if (!isRoot() || !(await commandExists('apt-get'))) {
    throw new Missing(`${why} is missing. Install it (Debian/Ubuntu: sudo apt-get install -y ${pkgs.join(' ')}) or point the URL at a running one.`);
  }
  log(`installing ${pkgs.join(' ')} with apt (${why} is missing)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    await run('apt-get', ['update', '-qq'], { env });
    aptUpdated = true;
  }
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { env });
}

async function ensureDependencies() {
  const marker = join(ROOT, 'node_modules', '.package-lock.json');
  const lock = join(ROOT, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  log('installing npm dependencies (npm ci)');
  await run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: ROOT });
}

async function build() {
  log('building (tsc -b)');
  await run('npx', ['tsc', '-b'], { cwd: ROOT });
}

/** host and port of a service's URL when it is down but local (ours to start); undefined when it answers. */
async function localServiceToStart(urlText, defaultPort, what, variable) {
  const url = new URL(urlText);
  const host = url.hostname;
  const port = Number(url.port || defaultPort);
  if (await tcpReachable(host, port)) return undefined;
  if (host !== '127.0.0.1' && host !== 'localhost')
    throw new Missing(`${what} is not reachable at ${host}:${port} (${variable}). Start it, or unset ${variable} to use a local one.`);
  return { host, port };
}

async function ensureRabbitMQ() {
  const target = await localServiceToStart(AMQP_URL, 5672, 'RabbitMQ', 'AMQP_URL');
  if (!target) return;
  const { host, port } = target;
  if (!(await commandExists('rabbitmq-server'))) await aptInstall(['rabbitmq-server'], 'RabbitMQ');
  log('starting the local RabbitMQ (rabbitmq-server -detached)');
  await run('rabbitmq-server', ['-detached'], { allowFail: true });
  if (!(await waitForTcp(host, port, 90_000))) throw new Missing(`RabbitMQ did not come up on ${host}:${port}; see /var/log/rabbitmq.`);
}

/**
 * The services' development users (xauth-<service>, with their development passwords and their
 * permissions on any namespace) in the local broker: one `rabbitmqctl import_definitions`, skipped
 * when they are there already. A remote broker keeps the users its operator gave it.
 */
async function ensureBrokerUsers() {
  const url = new URL(AMQP_URL.split(',')[0].trim());
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') {
    log(`RabbitMQ at ${url.host} is not local: its operator creates the services' users (infra/rabbitmq/definitions.json)`);
    return;
  }
  const { ensureDevBrokerUsers } = await import(pathToFileURL(join(ROOT, 'shared', 'dist', 'src', 'broker-users.js')).href);
  await ensureDevBrokerUsers({ host: `${url.hostname}:${url.port || 5672}`, topicNamespaces: [process.env.XAUTH_NAMESPACE || 'xauth'] });
}

async function ensurePostgres() {
  const target = await localServiceToStart(DATABASE_ADMIN_URL, 5432, 'PostgreSQL', 'DATABASE_ADMIN_URL');
  if (!target) return;
  const { host, port } = target;
  if (!existsSync('/etc/postgresql') && !(await commandExists('pg_ctlcluster'))) await aptInstall(['postgresql'], 'PostgreSQL');
  const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql') : [];
  if (!versions.length) throw new Missing('PostgreSQL is installed but has no cluster; create one with pg_createcluster.');
  log(`starting the local PostgreSQL ${versions[0]} cluster`);
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', versions[0], 'main', 'start'], { allowFail: true });
  if (!(await waitForTcp(host, port, 60_000))) throw new Missing(`PostgreSQL did not come up on ${host}:${port}.`);
  if (!(await trustsPostgresUser(host, port)))
    log('note: the local PostgreSQL may need trust auth for user postgres on 127.0.0.1 (pg_hba.conf), or a password in DATABASE_ADMIN_URL');
}

async function trustsPostgresUser(host, port) {
  if (!(await commandExists('psql'))) return true;
  return (await run('psql', ['-h', host, '-p', String(port), '-U', 'postgres', '-w', '-c', 'select 1'], { inherit: false, allowFail: true })) === 0;
}

/** Each service's own PostgreSQL role; for `npm start` also the schemas it owns (tests make their own per namespace). */
async function ensureDatabaseRoles(purpose) {
  for (const line of await provisionServiceRoles({ withSchemas: purpose !== 'test' })) log(`database role ${line}`);
}

async function ensureChromium() {
  if (existsSync(CHROMIUM_PATH)) return;
  // Debian's Chromium: test tools' own browser downloads cannot work on a closed network.
  await aptInstall(['chromium'], `Chromium (${CHROMIUM_PATH})`);
  if (!existsSync(CHROMIUM_PATH)) throw new Missing(`Chromium is still not at ${CHROMIUM_PATH}; set XSIM_CHROMIUM_PATH.`);
}

/** promtool (Debian's prometheus package), with which the tests check the alert rules and the dashboard's queries. */
async function ensurePromtool() {
  if (await commandExists('promtool')) return;
  await aptInstall(['prometheus'], 'promtool (to check infra/prometheus)');
}

/**
 * kubectl (its `kustomize` renders infra/k8s) and docker-compose (its `config` checks
 * docker-compose.yml), both offline: the tests validate the manifests without a cluster or an engine.
 * Debian's kubernetes-client is kubectl 1.20 with kustomize v2.0; infra/k8s keeps to what it reads.
 */
async function ensureManifestTools() {
  if (!(await commandExists('kubectl'))) await aptInstall(['kubernetes-client'], 'kubectl (to render infra/k8s)');
  if (!(await commandExists('docker-compose'))) await aptInstall(['docker-compose'], 'docker-compose (to check docker-compose.yml)');
}

/** Everything `npm start` and `npm test` need, in order; exits 1 with a plain message when something cannot be had. */
export async function ensureEnvironment({ purpose }) {
  try {
    await ensureDependencies();
    await build();
    await ensureRabbitMQ();
    await ensureBrokerUsers();
    await ensurePostgres();
    await ensureDatabaseRoles(purpose);
    await ensureChromium();
    if (purpose === 'test') await ensurePromtool();
    if (purpose === 'test') await ensureManifestTools();
    log(`environment ready for ${purpose}`);
  } catch (err) {
    log(err instanceof Missing ? err.message : `set-up failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

// PostgreSQL roles per service (README "Credentials"), for `npm run db:roles`, `npm start` and
// `npm test`: DATABASE_ADMIN_URL is the superuser connection that sets them up; each service's
// DATABASE_URL_<SERVICE> (its user is the service's role) is what that service connects with.
// Loads @xauth/shared from its build only when called: this file is imported before the build.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DATABASE_ADMIN_URL = process.env.DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The services with a schema: directory name (services/<dir>) to the name in schemas and roles. */
const SERVICES = { orchestrator: 'orchestrator', gateway: 'gateway', 'dead-letters': 'dead_letters', 'browser-worker': 'browser_worker' };

/** The variable that holds a service's URL, e.g. DATABASE_URL_DEAD_LETTERS. */
export const serviceUrlVariable = (dir) => `DATABASE_URL_${SERVICES[dir].toUpperCase()}`;

const loadShared = () => import(pathToFileURL(join(ROOT, 'shared/dist/src/db/service-roles.js')).href);

/** Each service's DATABASE_URL by directory name: DATABASE_URL_<SERVICE>, else its role xauth_<service>, no password, on DATABASE_ADMIN_URL's server. */
export async function serviceDatabaseUrls() {
  const { defaultServiceDatabaseUrl } = await import(pathToFileURL(join(ROOT, 'shared/dist/src/db/schema-name.js')).href);
  return Object.fromEntries(
    Object.entries(SERVICES).map(([dir, service]) => [dir, process.env[serviceUrlVariable(dir)] ?? defaultServiceDatabaseUrl(service, DATABASE_ADMIN_URL)]),
  );
}

/**
 * Creates each service's role (idempotently, with the password its URL carries) and, with
 * `withSchemas`, its schema in XAUTH_NAMESPACE (default xauth); returns what it set up.
 */
export async function provisionServiceRoles({ withSchemas }) {
  const { provisionServiceDatabases, serviceDatabaseFromUrl } = await loadShared();
  const { schemaName } = await import(pathToFileURL(join(ROOT, 'shared/dist/src/db/schema-name.js')).href);
  const namespace = process.env.XAUTH_NAMESPACE ?? 'xauth';
  const adminDatabase = decodeURIComponent(new URL(DATABASE_ADMIN_URL).pathname.slice(1));
  const urls = await serviceDatabaseUrls();
  const services = Object.entries(SERVICES).map(([dir, service]) => {
    const db = serviceDatabaseFromUrl(urls[dir], withSchemas ? [schemaName(namespace, service)] : []);
    if (adminDatabase && db.database !== adminDatabase)
      throw new Error(
        `${serviceUrlVariable(dir)} names database "${db.database}" but DATABASE_ADMIN_URL "${adminDatabase}": schemas live in one database, so both must name it`,
      );
    return db;
  });
  await provisionServiceDatabases(DATABASE_ADMIN_URL, services);
  return services.map((s) => `${s.role}${s.schemas.length ? ` owns ${s.schemas.join(', ')}` : ''}`);
}

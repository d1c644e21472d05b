import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import { Validator } from '@seriousme/openapi-schema-validator';
import { expect } from 'chai';
import specs from '@asyncapi/specs';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { SERVICE_SCOPES, expressPath, messages, restRoutes, type RestRoute } from '@xauth/contracts';
import { Metrics, createLogger } from '@xauth/shared';
import { buildGatewayApp, type GatewayAppDeps } from '../src/entry-points/http/app.js';
import { startGateway, type RunningGateway } from '../src/start.js';
import { bearer, cleanupNamespace, gatewayConfig, serviceToken, testNamespace } from './helpers.js';

/** What express serves, as `METHOD /path` (routers mounted on the app, walked). */
function servedRoutes(app: Express): string[] {
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
  const walk = (stack: Layer[]): string[] =>
    stack.flatMap((l) =>
      l.route ? Object.keys(l.route.methods).map((m) => `${m.toUpperCase()} ${l.route!.path}`) : l.handle?.stack ? walk(l.handle.stack) : [],
    );
  return walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
}

/** Example path parameters that pass the routes' validation, so a 403 can only be the scope. */
const EXAMPLE_PARAMS: Record<string, string> = {
  app: 'xauth-dev',
  jobId: randomUUID(),
  id: randomUUID(),
  accountId: 'someone',
  attempt: '1',
  file: 'screenshot.png',
};
const concrete = (r: RestRoute) => r.path.replace(/\{([^}]+)\}/g, (_, name: string) => EXAMPLE_PARAMS[name]!);

describe('gateway: the OpenAPI document and the routes agree', () => {
  it('when the app is built, then every route it serves is documented and every documented route is served', () => {
    const deps = {
      logger: createLogger({ service: 'gateway', silent: true }),
      metrics: new Metrics('gateway'),
      readiness: {},
      rateLimitPerMinute: 60,
      tokenRateLimit: { perIpPerMinute: 60, perClientPerMinute: 60 },
      namespace: 'xauth',
    } as unknown as GatewayAppDeps;
    const { app, stop } = buildGatewayApp(deps);
    try {
      const operational = new Set([
        'GET /health',
        'GET /ready',
        'GET /docs',
        'GET /docs/openapi.json',
        'GET /docs/asyncapi.json',
        'GET /docs/init.js',
        'GET /console',
      ]);
      const served = servedRoutes(app).filter((r) => !operational.has(r));
      expect(served).to.have.members(restRoutes.map((r) => `${r.method.toUpperCase()} ${expressPath(r.path)}`));
      expect(served).to.have.length(restRoutes.length);
    } finally {
      stop();
    }
  });

  describe('served', () => {
    const namespace = testNamespace();
    // Two clients with one scope each: every scoped route is called by the one without its scope, and must refuse it, naming its documented scope.
    const OUTSIDER = { clientId: 'outsider', clientSecret: 'outsider-secret-0123456789', scopes: ['jobs:read'] };
    const OTHER_OUTSIDER = { clientId: 'other-outsider', clientSecret: 'other-outsider-secret-0123456789', scopes: ['accounts:admin'] };
    let gateway: RunningGateway;
    before(async () => {
      gateway = await startGateway(gatewayConfig(namespace, { BOOTSTRAP_CLIENTS: JSON.stringify([OUTSIDER, OTHER_OUTSIDER]) }), {
        logger: createLogger({ service: 'gateway', silent: true }),
      });
    });
    after(async () => {
      await gateway?.stop();
      await cleanupNamespace(namespace);
    });

    it('when /docs/openapi.json is fetched without credentials, then it is OpenAPI 3.1 with every route, its scope and the scopes a token can hold', async () => {
      const res = await fetch(`${gateway.url}/docs/openapi.json`);
      expect(res.status).to.equal(200);
      const doc = (await res.json()) as {
        openapi: string;
        paths: Record<string, Record<string, { security: unknown[] }>>;
        components: { securitySchemes: { serviceToken: { flows: { clientCredentials: { scopes: Record<string, string> } } } } };
      };
      expect(doc.openapi).to.equal('3.1.0');
      const validator = new Validator();
      const verdict = await validator.validate(doc as unknown as Parameters<Validator['validate']>[0]);
      expect(verdict, JSON.stringify(verdict.errors)).to.deep.equal({ valid: true });
      for (const r of restRoutes) {
        expect(doc.paths[r.path]?.[r.method], `${r.method} ${r.path}`).to.be.an('object');
        expect(doc.paths[r.path]![r.method]!.security).to.deep.equal(r.scope ? [{ serviceToken: [r.scope] }, { apiKey: [] }] : []);
      }
      expect(Object.keys(doc.components.securitySchemes.serviceToken.flows.clientCredentials.scopes)).to.deep.equal([...SERVICE_SCOPES]);
      const page = await fetch(`${gateway.url}/docs`);
      expect(page.status).to.equal(200);
      expect(await page.text()).to.contain('/docs/assets/swagger-ui-bundle.js');
      const bundle = await fetch(`${gateway.url}/docs/assets/swagger-ui-bundle.js`);
      expect(bundle.status, 'Swagger UI is served from the package, not fetched from elsewhere').to.equal(200);
      expect((await bundle.arrayBuffer()).byteLength).to.be.greaterThan(100_000);
    });

    it("when /docs/asyncapi.json is fetched, then it is valid AsyncAPI 3.0 naming this namespace's exchanges, with every message and a payload schema that tells good from bad", async () => {
      const res = await fetch(`${gateway.url}/docs/asyncapi.json`);
      expect(res.status).to.equal(200);
      type Doc = {
        channels: Record<string, { address: string; bindings: { amqp: { exchange: { name: string } } } }>;
        operations: Record<string, { action: string }>;
        components: { messages: Record<string, { payload: object; description: string; 'x-producers': string[] }> };
      };
      const doc = (await res.json()) as Doc;
      // The spec's schema carries its own copy of the draft-07 meta-schema: an instance without ajv's.
      const specAjv = new Ajv({ strict: false, allErrors: true, meta: false, validateSchema: false });
      addFormats.default(specAjv);
      const valid = specAjv.compile(specs.schemas['3.0.0']);
      expect(valid(doc), JSON.stringify(valid.errors?.slice(0, 5))).to.equal(true);
      expect(Object.keys(doc.components.messages)).to.have.members(Object.keys(messages));
      expect(doc.channels['user.login.requested']!.bindings.amqp.exchange.name).to.equal(`${namespace}.commands`);
      expect(doc.channels['user.authenticated']!.bindings.amqp.exchange.name).to.equal(`${namespace}.events`);
      expect(doc.channels['user.authenticated']!.address, 'targeted replies included').to.equal('user.authenticated.#');
      expect([doc.operations['receive-user.login.requested']!.action, doc.operations['send-user.authenticated']!.action]).to.deep.equal(['receive', 'send']);
      // Who may publish each type: the contracts' producers, which consumers check against the broker-validated user-id.
      for (const type of Object.keys(messages) as Array<keyof typeof messages>)
        expect(doc.components.messages[type]!['x-producers'], type).to.deep.equal([...messages[type].producers]);
      expect(doc.components.messages['authorization.job.started']!.description)
        .to.contain('the browser-worker (broker user xauth-browser-worker)')
        .and.contain('FORGED_PRODUCER');
      const ajv = new Ajv({ strict: false, allErrors: true });
      addFormats.default(ajv);
      const payload = ajv.compile(doc.components.messages['user.login.requested']!.payload);
      expect(payload({ requestId: randomUUID(), accountId: 'xsim_user_007' }), JSON.stringify(payload.errors)).to.equal(true);
      expect(payload({ accountId: 'xsim_user_007' }), 'requestId is required').to.equal(false);
    });

    it('when a client without the scope calls each documented scoped route, then it gets 403 naming exactly the documented scope', async () => {
      const headersOf = async (c: typeof OUTSIDER) => ({
        ...bearer(await serviceToken(gateway.url, c.clientId, c.clientSecret)),
        'content-type': 'application/json',
      });
      const [outsider, other] = [await headersOf(OUTSIDER), await headersOf(OTHER_OUTSIDER)];
      for (const r of restRoutes.filter((x) => x.scope)) {
        const headers = OUTSIDER.scopes.includes(r.scope!) ? other : outsider;
        const res = await fetch(`${gateway.url}${concrete(r)}`, { method: r.method.toUpperCase(), headers, ...(r.method === 'post' ? { body: '{}' } : {}) });
        const body = (await res.json()) as { code: string; message: string };
        expect([res.status, body.code, body.message], `${r.method} ${r.path}`).to.deep.equal([403, 'FORBIDDEN', `requires scope ${r.scope}`]);
      }
    });
  });
});

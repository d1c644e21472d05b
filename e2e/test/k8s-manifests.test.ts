import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { queueName } from '@xauth/contracts';
import { loadBrowserWorkerConfig } from '@xauth/browser-worker';
import { loadDeadLettersConfig } from '@xauth/dead-letters';
import { parseGatewayConfig } from '@xauth/gateway';
import { loadOrchestratorConfig } from '@xauth/orchestrator';
import { OVERLAYS, ROOT, bytes, containerEnv, cores, find, renderOverlay, run, validateObject, type K8sObject } from './support/k8s-manifests.helper.js';

/** Each service's HTTP_PORT default, from its own config: the manifests' ports and probes must match. */
const HTTP_PORTS: Record<string, number> = {
  orchestrator: loadOrchestratorConfig({ NODE_ENV: 'test' }).HTTP_PORT,
  'browser-worker': loadBrowserWorkerConfig({ NODE_ENV: 'test' }).HTTP_PORT,
  'dead-letters': loadDeadLettersConfig({ NODE_ENV: 'test' }).HTTP_PORT,
  gateway: parseGatewayConfig({ NODE_ENV: 'test' }).HTTP_PORT,
};
const SERVICES = Object.keys(HTTP_PORTS);
/** The Secret key of a service's own PostgreSQL URL (its role): DATABASE_URL_DEAD_LETTERS. */
const databaseUrlKey = (service: string) => `DATABASE_URL_${service.toUpperCase().replace(/-/g, '_')}`;
/** Settings that are keys or credentials: only ever from a Secret. */
const SECRET_SETTINGS = [
  'AMQP_URL',
  'AMQP_PASSWORD',
  'DATABASE_URL',
  'DATABASE_ADMIN_URL',
  ...SERVICES.map(databaseUrlKey),
  'INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR',
  'INTERNAL_TOKEN_GATEWAY_DEAD_LETTERS',
  'INTERNAL_TOKEN_GATEWAY_BROWSER_WORKER',
  'INTERNAL_TOKEN_DEAD_LETTERS_ORCHESTRATOR',
  'ENCRYPTION_KEYS',
  'GOLOGIN_API_TOKEN',
  'X_APPS',
  'JWT_PRIVATE_KEY_PEM',
  'BOOTSTRAP_CLIENTS',
];
/** GoLogin calls one authorization job makes (start, status, stop), and one slot's flows a minute (README "Capacity planning"). */
const GOLOGIN_CALLS_PER_JOB = 3;
const FLOWS_PER_SLOT_PER_MINUTE = 18;

const containersOf = (d: K8sObject): K8sObject[] => d.spec.template.spec.containers;

describe('Kubernetes manifests and docker-compose.yml: rendered and validated offline against their schemas', function () {
  this.timeout(120_000);
  const rendered = {} as Record<(typeof OVERLAYS)[number], K8sObject[]>;

  before(async () => {
    for (const overlay of OVERLAYS) rendered[overlay] = await renderOverlay(overlay);
  });

  for (const overlay of OVERLAYS) {
    describe(`overlay ${overlay}`, () => {
      it('when every rendered object is checked against the Kubernetes and KEDA schemas, then all are valid', async () => {
        expect(rendered[overlay].length).to.be.greaterThan(20);
        for (const obj of rendered[overlay]) await validateObject(obj);
      });

      it('when the Deployments are read, then every service runs with probes on its HTTP_PORT, resources and a grace period above its drain', () => {
        const objects = rendered[overlay];
        const deployments = objects.filter((o) => o.kind === 'Deployment');
        expect(deployments.map((d) => d.metadata.name).sort()).to.deep.equal([...SERVICES].sort());
        for (const d of deployments) {
          const name = d.metadata.name;
          const [main] = containersOf(d);
          expect(main.name, name).to.equal(name);
          const env = containerEnv(objects, main);
          const http = main.ports.find((p: K8sObject) => p.name === 'http');
          expect(http.containerPort, `${name} port`).to.equal(HTTP_PORTS[name]);
          expect(env.HTTP_PORT, `${name} HTTP_PORT`).to.equal(String(HTTP_PORTS[name]));
          expect(main.livenessProbe.httpGet, `${name} liveness`).to.deep.include({ path: '/health', port: 'http' });
          expect(main.readinessProbe.httpGet, `${name} readiness`).to.deep.include({ path: '/ready', port: 'http' });
          for (const c of containersOf(d)) {
            for (const kind of ['requests', 'limits']) expect(c.resources?.[kind], `${name}/${c.name} ${kind}`).to.include.keys('cpu', 'memory');
          }
          expect(d.spec.template.spec.terminationGracePeriodSeconds * 1000, `${name} grace vs SHUTDOWN_TIMEOUT_MS`).to.be.greaterThan(
            Number(env.SHUTDOWN_TIMEOUT_MS),
          );
          expect(
            objects.some((o) => o.kind === 'PodDisruptionBudget' && o.spec.selector.matchLabels['app.kubernetes.io/name'] === name),
            `${name} PDB`,
          ).to.equal(true);
        }
      });

      it('when the browser-worker is read, then its slots are set explicitly and fit its limits (one core, POOL_SLOT_MEMORY_MB each)', () => {
        const objects = rendered[overlay];
        const worker = containersOf(find(objects, 'Deployment', 'browser-worker'))[0];
        const env = containerEnv(objects, worker);
        const slots = Number(env.MAX_CONCURRENT_PROFILES);
        expect(slots).to.be.greaterThan(0);
        expect(cores(worker.resources.limits.cpu)).to.be.at.least(slots);
        expect(bytes(worker.resources.limits.memory)).to.be.at.least(slots * Number(env.POOL_SLOT_MEMORY_MB) * 2 ** 20);
      });

      it('when keys and credentials are looked for, then they come only from Secrets (secretKeyRef), and no Secret is committed', () => {
        const objects = rendered[overlay];
        expect(objects.filter((o) => o.kind === 'Secret')).to.deep.equal([]);
        for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) expect(Object.keys(cm.data)).to.not.include.members(SECRET_SETTINGS);
        const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'Job');
        for (const w of workloads) {
          for (const c of [...containersOf(w), ...(w.spec.template.spec.initContainers ?? [])]) {
            for (const e of c.env ?? []) {
              if (SECRET_SETTINGS.includes(e.name)) expect(e.valueFrom?.secretKeyRef, `${w.metadata.name}/${c.name} ${e.name}`).to.be.an('object');
            }
          }
        }
        // Each service logs in to the broker as its own user, with a password no other service holds.
        for (const d of objects.filter((o) => o.kind === 'Deployment')) {
          const password = containersOf(d)[0].env.find((e: K8sObject) => e.name === 'AMQP_PASSWORD');
          expect(password?.valueFrom?.secretKeyRef?.key, `${d.metadata.name} AMQP_PASSWORD`).to.equal(
            `AMQP_PASSWORD_${d.metadata.name.toUpperCase().replace(/-/g, '_')}`,
          );
        }
      });

      it('when the autoscalers are read, then the gateway has an HPA and KEDA scales the browser-worker on its queue within the GoLogin budget', () => {
        const objects = rendered[overlay];
        expect(find(objects, 'HorizontalPodAutoscaler', 'gateway').spec.scaleTargetRef).to.deep.include({ kind: 'Deployment', name: 'gateway' });
        const scaled = find(objects, 'ScaledObject', 'browser-worker');
        expect(scaled.spec.scaleTargetRef.name).to.equal('browser-worker');
        const [trigger] = scaled.spec.triggers;
        const worker = containersOf(find(objects, 'Deployment', 'browser-worker'))[0];
        const env = containerEnv(objects, worker);
        expect(trigger.type).to.equal('rabbitmq');
        expect(trigger.metadata.queueName).to.equal(queueName(String(env.XAUTH_NAMESPACE), 'browser-worker.authorization-jobs'));
        const auth = find(objects, 'TriggerAuthentication', trigger.authenticationRef.name);
        expect(auth.spec.secretTargetRef.map((r: K8sObject) => r.parameter)).to.include('host');
        // The budget bound of the comment in browser-worker-scaling.yaml.
        const jobsPerMinute = Number(env.GOLOGIN_RATE_LIMIT_PER_MINUTE) / GOLOGIN_CALLS_PER_JOB;
        const perReplica = Number(env.MAX_CONCURRENT_PROFILES) * FLOWS_PER_SLOT_PER_MINUTE;
        expect(scaled.spec.maxReplicaCount).to.be.at.most(Math.ceil(jobsPerMinute / perReplica));
        expect(scaled.spec.minReplicaCount).to.be.at.least(1);
      });

      it('when the NetworkPolicies are read, then only the gateway takes traffic from anywhere and each internal API answers the gateway (the orchestrator also the dead-letter office)', () => {
        const objects = rendered[overlay];
        const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
        expect(
          policies.some(
            (p) =>
              Object.keys(p.spec.podSelector.matchLabels ?? {}).every((k) => k === 'app.kubernetes.io/part-of') &&
              p.spec.policyTypes.includes('Ingress') &&
              !p.spec.ingress,
          ),
        ).to.equal(true, 'a default deny');
        const senders = (service: string): string[] =>
          policies
            .filter((p) => p.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === service)
            .flatMap((p) =>
              (p.spec.ingress ?? []).flatMap((rule: K8sObject) =>
                rule.from ? rule.from.map((f: K8sObject) => f.podSelector?.matchLabels?.['app.kubernetes.io/name'] ?? 'a namespace') : ['anywhere'],
              ),
            );
        expect(senders('gateway')).to.deep.equal(['anywhere']);
        expect(senders('orchestrator').sort()).to.deep.equal(['dead-letters', 'gateway']);
        expect(senders('dead-letters')).to.deep.equal(['gateway']);
        expect(senders('browser-worker')).to.deep.equal(['gateway']);
        for (const p of policies) {
          for (const rule of p.spec.ingress ?? [])
            if (!rule.from) expect(p.spec.podSelector.matchLabels?.['app.kubernetes.io/name'], p.metadata.name).to.equal('gateway');
        }
      });

      it("when the migrations Job is read, then it sets up the roles (db:roles) and runs every service's migrate entry point as that service's role", () => {
        const job = find(rendered[overlay], 'Job', 'xauth-migrate');
        const script = containersOf(job)[0].command.join(' ');
        for (const service of SERVICES) expect(script).to.include(service);
        expect(script).to.include('services/$svc/dist/src/migrate.js');
        expect(script).to.include('node scripts/db-roles.mjs');
        const env = containerEnv(rendered[overlay], containersOf(job)[0]);
        for (const service of SERVICES) expect(env[databaseUrlKey(service)], service).to.deep.equal({ secret: 'xauth-secrets', key: databaseUrlKey(service) });
      });

      it("when the Deployments' database URLs are read, then each service connects with its own (its PostgreSQL role), none with another's", () => {
        for (const service of SERVICES) {
          const env = containerEnv(rendered[overlay], containersOf(find(rendered[overlay], 'Deployment', service))[0]);
          expect(env.DATABASE_URL, service).to.deep.equal({ secret: 'xauth-secrets', key: databaseUrlKey(service) });
        }
      });
    });
  }

  it('when x-sim is looked for, then it runs only in dev (beside the browser-worker, as in docker-compose.yml)', () => {
    const hasXSim = (objects: K8sObject[]) => containersOf(find(objects, 'Deployment', 'browser-worker')).some((c) => c.name === 'x-sim');
    expect(hasXSim(rendered.dev)).to.equal(true);
    expect(hasXSim(rendered.prod)).to.equal(false);
    expect(rendered.prod.some((o) => o.metadata.name === 'x-sim')).to.equal(false);
  });

  /** The validator's verdict ('accepted' or its complaint) on a prod object, valid as rendered, after `mutate`. */
  const verdictOnMutated = async (kind: string, name: string, mutate: (o: K8sObject) => void): Promise<string> => {
    const obj = structuredClone(find(rendered.prod, kind, name));
    await validateObject(obj);
    mutate(obj);
    return validateObject(obj).then(
      () => 'accepted',
      (err: Error) => err.message,
    );
  };

  it('when a rendered object carries a wrong field, then the validator rejects it', async () => {
    const mutations: Array<[string, string, string, (o: K8sObject) => void]> = [
      [
        'Deployment',
        'browser-worker',
        'a replica count as text',
        (o) => {
          o.spec.replicas = 'two';
        },
      ],
      [
        'Deployment',
        'gateway',
        'a container without its image name',
        (o) => {
          delete o.spec.template.spec.containers[0].name;
        },
      ],
      [
        'Deployment',
        'orchestrator',
        'a port number as an object',
        (o) => {
          o.spec.template.spec.containers[0].ports[0].containerPort = { port: 8081 };
        },
      ],
      [
        'PodDisruptionBudget',
        'gateway',
        'a selector as a list',
        (o) => {
          o.spec.selector = ['gateway'];
        },
      ],
      [
        'HorizontalPodAutoscaler',
        'gateway',
        'an HPA without its maximum',
        (o) => {
          delete o.spec.maxReplicas;
        },
      ],
      [
        'NetworkPolicy',
        'gateway-from-anywhere',
        'a port as a boolean',
        (o) => {
          o.spec.ingress[0].ports[0].port = true;
        },
      ],
      [
        'ScaledObject',
        'browser-worker',
        'a KEDA maximum as text',
        (o) => {
          o.spec.maxReplicaCount = 'two';
        },
      ],
      [
        'ScaledObject',
        'browser-worker',
        'a KEDA trigger without its type',
        (o) => {
          delete o.spec.triggers[0].type;
        },
      ],
      [
        'TriggerAuthentication',
        'browser-worker-rabbitmq',
        'a secret reference without its key',
        (o) => {
          delete o.spec.secretTargetRef[0].key;
        },
      ],
    ];
    for (const [kind, name, what, mutate] of mutations) expect(await verdictOnMutated(kind, name, mutate), what).to.not.equal('accepted');
  });

  it('when a rendered object carries a misspelled field, then the validator rejects it and names its path', async () => {
    const rename = (at: K8sObject, from: string, to: string) => {
      expect(at, from).to.have.property(from);
      at[to] = at[from];
      delete at[from];
    };
    const misspellings: Array<[string, string, string, (o: K8sObject) => void]> = [
      ['Deployment', 'orchestrator', '/spec/replcas', (o) => rename(o.spec, 'replicas', 'replcas')],
      [
        'Deployment',
        'gateway',
        '/spec/template/spec/terminationGracePeriod',
        (o) => rename(o.spec.template.spec, 'terminationGracePeriodSeconds', 'terminationGracePeriod'),
      ],
      [
        'Deployment',
        'browser-worker',
        '/spec/template/spec/containers/0/livenesProbe',
        (o) => rename(o.spec.template.spec.containers[0], 'livenessProbe', 'livenesProbe'),
      ],
      [
        'Deployment',
        'dead-letters',
        '/spec/template/spec/containers/0/readinessProbe/httpGet/paht',
        (o) => rename(o.spec.template.spec.containers[0].readinessProbe.httpGet, 'path', 'paht'),
      ],
      ['ScaledObject', 'browser-worker', '/spec/maxReplicas', (o) => rename(o.spec, 'maxReplicaCount', 'maxReplicas')],
      ['ScaledObject', 'browser-worker', '/spec/triggers/0/authenticationRefs', (o) => rename(o.spec.triggers[0], 'authenticationRef', 'authenticationRefs')],
    ];
    for (const [kind, name, path, mutate] of misspellings) expect(await verdictOnMutated(kind, name, mutate), `${kind}/${name} ${path}`).to.include(path);
  });

  it('when a map-typed or free-form field carries any key, then the strict check lets it through', async () => {
    const obj = structuredClone(find(rendered.prod, 'Deployment', 'gateway'));
    obj.spec.template.metadata.annotations = { ...obj.spec.template.metadata.annotations, 'example.com/any-key': 'x' };
    obj.spec.template.spec.containers[0].resources.limits['example.com/gpu'] = '1';
    const scaled = structuredClone(find(rendered.prod, 'ScaledObject', 'browser-worker'));
    scaled.spec.triggers[0].metadata.anyScalerSetting = 'x';
    await validateObject(obj);
    await validateObject(scaled);
  });

  describe("docker-compose.yml (Debian's docker-compose, installed by npm test's set-up)", () => {
    it('when docker-compose checks the file, then it is valid', async () => {
      await run('docker-compose', ['-f', join(ROOT, 'docker-compose.yml'), 'config', '--quiet']);
    });

    it('when the file carries a wrong field, then docker-compose config rejects it', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'xauth-compose-'));
      try {
        const text = await readFile(join(ROOT, 'docker-compose.yml'), 'utf8');
        const wrong = text.replace('  gateway:\n', '  gateway:\n    helthcheck: { test: ["CMD", "true"] }\n');
        expect(wrong).to.not.equal(text);
        await writeFile(join(dir, 'docker-compose.yml'), wrong);
        const verdict = await run('docker-compose', ['-f', join(dir, 'docker-compose.yml'), '--project-directory', ROOT, 'config', '--quiet']).then(
          () => 'accepted',
          (err: Error) => err.message,
        );
        expect(verdict).to.match(/helthcheck/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});

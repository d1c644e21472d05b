import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { unknownFields } from './unknown-fields.js';

export const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
export const OVERLAYS = ['dev', 'prod'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** A rendered Kubernetes object, read loosely: tests reach into it by path. */
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [field: string]: any };

/** Runs a command offline; rejects with its stderr. */
export function run(cmd: string, args: string[]): Promise<{ out: string; err: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: ROOT, timeout: 60_000, maxBuffer: 32 * 2 ** 20 }, (error, out, err) =>
      error ? reject(new Error(`${cmd} ${args.join(' ')} failed: ${error.message}\n${err}`)) : resolve({ out, err }),
    );
  });
}

/** `kubectl kustomize infra/k8s/overlays/<overlay>`, parsed into objects. */
export async function renderOverlay(overlay: Overlay): Promise<K8sObject[]> {
  const { out } = await run('kubectl', ['kustomize', join(ROOT, 'infra/k8s/overlays', overlay)]);
  return parseAllDocuments(out)
    .map((doc) => doc.toJSON() as K8sObject)
    .filter(Boolean);
}

type Model = { new (data: unknown): { validate(): void }; prototype: { validate(this: object): void } };

/**
 * The object's model from kubernetes-models (generated from Kubernetes' OpenAPI schema) or
 * @kubernetes-models/keda (generated from KEDA's CRDs); throws for a kind neither knows.
 */
async function modelOf(obj: K8sObject): Promise<Model> {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  const pkg = group === 'keda.sh' ? '@kubernetes-models/keda' : 'kubernetes-models';
  const spec = `${pkg}/${group ? `${group}/` : ''}${version}/${obj.kind}`;
  const mod = (await import(spec).catch(() => {
    throw new Error(`no schema for ${obj.apiVersion} ${obj.kind} (${spec})`);
  })) as Record<string, Model>;
  const model = mod[obj.kind];
  if (!model) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind} (${spec})`);
  return model;
}

/**
 * Validates one object against its schema, strictly: a field the schema does not declare at its
 * level (a misspelling) is rejected too, by its path. Rejects with the schema's complaint.
 */
export async function validateObject(obj: K8sObject): Promise<void> {
  const Model = await modelOf(obj);
  let unknown: string[];
  try {
    // The model's own validate (the package's compiled schema), run on the object as rendered.
    unknown = unknownFields(obj, (watched) => Model.prototype.validate.call(watched));
  } catch (err) {
    throw new Error(`${obj.kind}/${obj.metadata?.name}: ${(err as Error).message}`, { cause: err });
  }
  if (unknown.length > 0) throw new Error(`${obj.kind}/${obj.metadata?.name}: fields not in the ${obj.apiVersion} ${obj.kind} schema: ${unknown.join(', ')}`);
}

export const find = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} is not rendered`);
  return found;
};

/** A container's effective environment: its ConfigMap (envFrom) overridden by its own `env`. */
export function containerEnv(objects: K8sObject[], container: K8sObject): Record<string, string | { secret: string; key: string } | undefined> {
  const env: Record<string, string | { secret: string; key: string } | undefined> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, find(objects, 'ConfigMap', from.configMapRef.name).data);
  }
  for (const e of container.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    env[e.name] = ref ? { secret: ref.name, key: ref.key } : e.value;
  }
  return env;
}

/** Kubernetes quantities as numbers: cores for CPU, bytes for memory. */
export function cores(q: string | number): number {
  const s = String(q);
  return s.endsWith('m') ? Number(s.slice(0, -1)) / 1000 : Number(s);
}
export function bytes(q: string | number): number {
  const m = /^([0-9.]+)(Ki|Mi|Gi|K|M|G)?$/.exec(String(q));
  if (!m) throw new Error(`not a memory quantity: ${q}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, K: 1e3, M: 1e6, G: 1e9 }[m[2] as 'Ki'] ?? 1;
  return Number(m[1]) * unit;
}

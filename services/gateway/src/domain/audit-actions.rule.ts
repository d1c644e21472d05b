import type { AuditOutcome } from '@xauth/contracts';

/** A documented route the audit records, matched by method and path. */
export interface AuditedRoute {
  method: string;
  /** The OpenAPI template, e.g. `/v1/clients/{clientId}/disable`. */
  template: string;
  action: string;
  pattern: RegExp;
  params: string[];
}

/** Reads worth an audit line; every other audited route changes something. */
const NAMED: Record<string, string> = {
  'GET /v1/accounts/{accountId}/token': 'token.read',
  'POST /v1/logins': 'login.request',
};

/**
 * The action a route is audited as: the named ones above, else its fixed path segments after `/v1`
 * and a verb: `POST /v1/dead-letters/{id}/replay` → `dead-letters.replay`, `POST /v1/clients` →
 * `clients.create`, `PUT /v1/clients/{clientId}/scopes` → `clients.scopes.update`,
 * `DELETE /v1/clients/{clientId}` → `clients.delete`. Routes added later are audited without a change here.
 */
export function auditAction(method: string, template: string): string {
  const named = NAMED[`${method.toUpperCase()} ${template}`];
  if (named) return named;
  const fixed = template.split('/').filter((s) => s && s !== 'v1' && !s.startsWith('{'));
  const verb = method === 'delete' ? 'delete' : method === 'put' ? 'update' : method === 'post' && fixed.length === 1 ? 'create' : undefined;
  return [...fixed, ...(verb ? [verb] : [])].join('.');
}

/** Which documented routes are audited: every scoped one that changes something, and the named reads. */
export function auditedRoutes(routes: ReadonlyArray<{ method: string; path: string; scope?: string }>): AuditedRoute[] {
  return routes
    .filter((r) => r.scope && (r.method !== 'get' || NAMED[`GET ${r.path}`]))
    .map((r) => ({
      method: r.method.toUpperCase(),
      template: r.path,
      action: auditAction(r.method, r.path),
      params: [...r.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
      pattern: new RegExp(`^${r.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '([^/]+)')}/?$`),
    }));
}

/** The audited route a request is for, with its path parameters; undefined when it is not audited. */
export function matchAudited(
  routes: readonly AuditedRoute[],
  method: string,
  path: string,
): { route: AuditedRoute; params: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    route.params.forEach((name, i) => {
      try {
        params[name] = decodeURIComponent(m[i + 1]!);
      } catch {
        params[name] = m[i + 1]!;
      }
    });
    return { route, params };
  }
  return undefined;
}

export function auditOutcome(status: number): AuditOutcome {
  if (status < 400) return 'ok';
  if (status === 401 || status === 403) return 'denied';
  return status < 500 ? 'rejected' : 'failed';
}

export const FAULT_ENDPOINTS = ['token', 'me', 'authorize', 'gologin'] as const;
export type FaultEndpoint = (typeof FAULT_ENDPOINTS)[number];

export interface FaultSpec {
  /** Only requests resolved to this username; every request when absent. */
  user?: string;
  /** Only requests from this OAuth client (token endpoint: Basic auth or `client_id`); any client when absent. */
  clientId?: string;
  endpoint?: FaultEndpoint;
  /** Delay before the request is handled. */
  latencyMs?: number;
  /** Delay of the answer after the request was handled (X did the work, e.g. rotated a token, then answered late). */
  latencyAfterMs?: number;
  status429?: boolean;
  /** true answers 503; a number picks the 5xx status. */
  status5xx?: boolean | number;
  drop?: boolean;
  /** Only the next `times` matching requests; forever when absent. */
  times?: number;
}

export type FaultAction = { kind: 'none' } | { kind: 'drop' } | { kind: '429' } | { kind: '5xx'; status: number };

export interface FaultOutcome {
  latencyMs: number;
  latencyAfterMs: number;
  action: FaultAction;
}

/** Injected faults; every matching fault is used up by one request, the harshest action wins. */
export class Faults {
  private faults: Array<FaultSpec & { left: number }> = [];

  add(spec: FaultSpec): void {
    this.faults.push({ ...spec, left: spec.times ?? Number.POSITIVE_INFINITY });
  }

  take(endpoint: FaultEndpoint, user: string | undefined, clientId?: string): FaultOutcome {
    const matched = this.faults.filter(
      (f) =>
        (f.endpoint === undefined || f.endpoint === endpoint) &&
        (f.user === undefined || f.user === user) &&
        (f.clientId === undefined || f.clientId === clientId),
    );
    for (const f of matched) f.left -= 1;
    this.faults = this.faults.filter((f) => f.left > 0);
    const latencyMs = Math.max(0, ...matched.map((f) => f.latencyMs ?? 0));
    const latencyAfterMs = Math.max(0, ...matched.map((f) => f.latencyAfterMs ?? 0));
    return { latencyMs, latencyAfterMs, action: harshest(matched) };
  }

  reset(): void {
    this.faults = [];
  }
}

function harshest(faults: FaultSpec[]): FaultAction {
  if (faults.some((f) => f.drop)) return { kind: 'drop' };
  if (faults.some((f) => f.status429)) return { kind: '429' };
  const five = faults.find((f) => f.status5xx);
  if (five) return { kind: '5xx', status: typeof five.status5xx === 'number' ? five.status5xx : 503 };
  return { kind: 'none' };
}

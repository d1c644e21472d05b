/** Whether a client's JWTs are still good: what every replica reloads every CLIENT_STATE_REFRESH_MS. */
export interface ClientState {
  clientId: string;
  disabled: boolean;
  tokenVersion: number;
  /** The apps whose tokens it may read; null: every app. */
  apps: string[] | null;
}

export interface ClientStateSource {
  states(): Promise<ClientState[]>;
  findById(clientId: string): Promise<{ clientId: string; disabledAt: Date | null; tokenVersion: number; apps: string[] | null } | undefined>;
}

/**
 * Whether a client's JWTs still hold, kept in memory so the JWT check stays a map lookup: every
 * client's enabled state and token version, reloaded from the database every few hundred
 * milliseconds by each replica (`refresh`), so a disable or delete on one replica is honoured by all
 * within one reload. A client this replica has not seen yet (created since the last reload) is looked
 * up once; an unknown one is remembered as gone until the next reload.
 */
export class ClientStates {
  private known = new Map<string, ClientState | null>();
  /** What this replica changed while a reload was reading: newer than what the reload read. */
  private changedDuringRefresh?: Map<string, ClientState | null>;

  constructor(private readonly source: ClientStateSource) {}

  async refresh(): Promise<void> {
    const changed = (this.changedDuringRefresh = new Map<string, ClientState | null>());
    try {
      const next = new Map<string, ClientState | null>();
      for (const s of await this.source.states()) next.set(s.clientId, s);
      for (const [clientId, s] of changed) next.set(clientId, s);
      this.known = next;
    } finally {
      if (this.changedDuringRefresh === changed) this.changedDuringRefresh = undefined;
    }
  }

  /** True when a JWT of `clientId` carrying token version `tokenVersion` may act. */
  allows(clientId: string, tokenVersion: number): boolean | Promise<boolean> {
    const state = this.known.get(clientId);
    if (state === undefined) return this.lookUp(clientId).then((s) => judge(s, tokenVersion));
    return judge(state, tokenVersion);
  }

  /** True when `clientId` may read tokens of `app` (its `apps` name it, or it has no such limit). */
  allowsApp(clientId: string, app: string): boolean | Promise<boolean> {
    const state = this.known.get(clientId);
    if (state === undefined) return this.lookUp(clientId).then((s) => appAllowed(s, app));
    return appAllowed(state, app);
  }

  apply(client: { clientId: string; disabledAt: Date | null; tokenVersion: number; apps: string[] | null }): void {
    this.set(client.clientId, { clientId: client.clientId, disabled: client.disabledAt !== null, tokenVersion: client.tokenVersion, apps: client.apps });
  }

  forget(clientId: string): void {
    this.set(clientId, null);
  }

  private set(clientId: string, state: ClientState | null): void {
    this.known.set(clientId, state);
    this.changedDuringRefresh?.set(clientId, state);
  }

  private async lookUp(clientId: string): Promise<ClientState | null> {
    const found = await this.source.findById(clientId);
    if (found) this.apply(found);
    else this.forget(clientId);
    return this.known.get(clientId) ?? null;
  }
}

function appAllowed(state: ClientState | null, app: string): boolean {
  return state !== null && (state.apps === null || state.apps.includes(app));
}

function judge(state: ClientState | null, tokenVersion: number): boolean {
  return state !== null && !state.disabled && tokenVersion >= state.tokenVersion;
}

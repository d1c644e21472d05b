import { randomBytes } from 'node:crypto';

export interface SimUser {
  n: number;
  id: string;
  name: string;
  username: string;
}

/** A GoLogin profile; its `name` is the X username it is signed in to, which is how xauth maps profile to account. */
export interface SimProfile {
  id: string;
  name: string;
  notes: string;
  username: string;
  /** Value of the `auth_token` cookie this profile's browser carries. */
  sessionToken: string;
}

const ID_BASE = 1800000000000000000n;

export function simUsername(n: number): string {
  return `xsim_user_${String(n).padStart(3, '0')}`;
}

export function simProfileId(n: number): string {
  return '64f0c0de' + n.toString(16).padStart(16, '0');
}

/** Seeded users, their profiles and X sessions. Sessions survive a sim reset, as real cookies would. */
export class SimUsers {
  readonly users: SimUser[] = [];
  readonly profiles: SimProfile[] = [];
  private readonly byUsername = new Map<string, SimUser>();
  private readonly profileById = new Map<string, SimProfile>();
  private readonly sessionOwner = new Map<string, string>();
  /** Profiles deleted from the GoLogin listing (the browser and session stay, as if deleted in GoLogin's UI only). */
  private readonly unlisted = new Set<string>();

  constructor(count: number) {
    for (let n = 1; n <= count; n++) {
      const username = simUsername(n);
      const user = { n, id: String(ID_BASE + BigInt(n)), name: `Sim User ${String(n).padStart(3, '0')}`, username };
      const sessionToken = randomBytes(20).toString('hex');
      const profile = { id: simProfileId(n), name: username, notes: `x:${username}`, username, sessionToken };
      this.users.push(user);
      this.profiles.push(profile);
      this.byUsername.set(username, user);
      this.profileById.set(profile.id, profile);
      this.sessionOwner.set(sessionToken, username);
    }
  }

  /** Every profile's X session cookie value. */
  sessionTokens(): string[] {
    return [...this.sessionOwner.keys()];
  }

  /** The profiles GoLogin lists, in order. */
  listed(): SimProfile[] {
    return this.unlisted.size ? this.profiles.filter((p) => !this.unlisted.has(p.id)) : this.profiles;
  }

  /** Takes the profile out of the listing (`listed: false`) or puts it back. */
  setListed(profileId: string, listed: boolean): void {
    if (listed) this.unlisted.delete(profileId);
    else this.unlisted.add(profileId);
  }

  user(username: string): SimUser | undefined {
    return this.byUsername.get(username);
  }

  profile(id: string): SimProfile | undefined {
    return this.profileById.get(id);
  }

  profileOf(username: string): SimProfile | undefined {
    const user = this.byUsername.get(username);
    return user && this.profiles[user.n - 1];
  }

  /** The username whose profile carries this session cookie. */
  sessionOwnerOf(sessionToken: string | undefined): string | undefined {
    return sessionToken === undefined ? undefined : this.sessionOwner.get(sessionToken);
  }

  /** Another seeded user, used when a profile is signed in to the wrong account. */
  neighbourOf(username: string): SimUser | undefined {
    const user = this.byUsername.get(username);
    if (!user || this.users.length < 2) return undefined;
    return this.users[user.n % this.users.length];
  }
}

/** An open profile: a browser reachable over CDP whose default context carries the profile's X session. */
export interface OpenProfile {
  profileId: string;
  wsUrl: string;
}

/** Where profiles' browsers come from (GoLogin, or local persistent profiles). */
export interface ProfileProvider {
  readonly kind: string;
  start(profileId: string): Promise<OpenProfile>;
  /** Must be safe to call for a profile that already stopped. */
  stop(profileId: string): Promise<void>;
}

export interface CapturedConsent { code: string; state: string }

export interface AuthorizeRequest {
  /** Name the attempt's failure artifacts (`<jobId>/<attempt>/...`). */
  jobId: string;
  attempt: number;
  wsUrl: string;
  authorizeUrl: string;
  redirectUri: string;
  /** Absolute end of this attempt. */
  deadline: number;
}

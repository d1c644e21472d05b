/** Stable error codes. Clients and operators key on these; never rename one. */
export const ErrorCodes = {
  // invalid input: dead-lettered at once
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  MESSAGE_UNPARSEABLE: 'MESSAGE_UNPARSEABLE',
  UNKNOWN_MESSAGE_TYPE: 'UNKNOWN_MESSAGE_TYPE',
  UNKNOWN_ACCOUNT: 'UNKNOWN_ACCOUNT',
  UNKNOWN_APP: 'UNKNOWN_APP',
  UNKNOWN_JOB: 'UNKNOWN_JOB',
  UNKNOWN_PROFILE: 'UNKNOWN_PROFILE',
  STATE_MISMATCH: 'STATE_MISMATCH',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The message's publisher (its broker-validated `user-id`) is not a service the contracts let publish its type. */
  FORGED_PRODUCER: 'FORGED_PRODUCER',
  // HTTP facade
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  TOKEN_NOT_FOUND: 'TOKEN_NOT_FOUND',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  REAUTHORIZATION_REQUIRED: 'REAUTHORIZATION_REQUIRED',
  RATE_LIMITED: 'RATE_LIMITED',
  INVALID_CLIENT: 'INVALID_CLIENT',
  INVALID_SCOPE: 'INVALID_SCOPE',
  UPSTREAM_UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
  ARTIFACT_NOT_FOUND: 'ARTIFACT_NOT_FOUND',
  CLIENT_NOT_FOUND: 'CLIENT_NOT_FOUND',
  CLIENT_EXISTS: 'CLIENT_EXISTS',
  /** The client may read tokens of some apps only (its `apps`), and this read names another. */
  APP_NOT_ALLOWED: 'APP_NOT_ALLOWED',
  /** Too many client secret checks wait already (each is a 128 MiB scrypt); retry after Retry-After. */
  AUTH_BUSY: 'AUTH_BUSY',
  /** A signing key rotation waits for its next key to activate, or JWT_PRIVATE_KEY_PEM signs (rotate by changing it). */
  SIGNING_KEY_ROTATION_REFUSED: 'SIGNING_KEY_ROTATION_REFUSED',
  // dead-letter office
  REPLAY_LIMIT_REACHED: 'REPLAY_LIMIT_REACHED',
  DEAD_LETTER_DISCARDED: 'DEAD_LETTER_DISCARDED',
  DEAD_LETTER_NOT_FOUND: 'DEAD_LETTER_NOT_FOUND',
  REPLAY_TARGET_UNKNOWN: 'REPLAY_TARGET_UNKNOWN',
  /** The letter cannot do its work again (its secrets were redacted, or its owner already ended the work). */
  REPLAY_NOT_POSSIBLE: 'REPLAY_NOT_POSSIBLE',
  /** The job cannot be reopened: it succeeded, is still active, a newer job of the account stands, or a retry cannot fix its failure. */
  JOB_NOT_REOPENABLE: 'JOB_NOT_REOPENABLE',
  // login campaigns
  UNKNOWN_CAMPAIGN: 'UNKNOWN_CAMPAIGN',
  /** The campaign cannot do that from where it stands (e.g. resume a cancelled or finished one). */
  CAMPAIGN_STATE_CONFLICT: 'CAMPAIGN_STATE_CONFLICT',
  // accounts
  /** An operator (or the profile-gone rule) paused the account: no login and no refresh runs for it until it is resumed. */
  ACCOUNT_PAUSED: 'ACCOUNT_PAUSED',
  /** The account was offboarded (its tokens revoked at X and deleted); resume it to take it back. */
  ACCOUNT_OFFBOARDED: 'ACCOUNT_OFFBOARDED',
  ACCOUNT_NOT_FOUND: 'ACCOUNT_NOT_FOUND',
  /** X did not confirm a revocation: the tokens are kept, the offboarding can be tried again. */
  REVOKE_FAILED: 'REVOKE_FAILED',
  // transient: retried
  TIMEOUT: 'TIMEOUT',
  BROWSER_CRASHED: 'BROWSER_CRASHED',
  BLOCKED: 'BLOCKED',
  X_UNAVAILABLE: 'X_UNAVAILABLE',
  X_RATE_LIMITED: 'X_RATE_LIMITED',
  GOLOGIN_UNAVAILABLE: 'GOLOGIN_UNAVAILABLE',
  /** Our own per-minute GoLogin budget is spent (GoLogin itself was never asked). */
  GOLOGIN_RATE_LIMITED: 'GOLOGIN_RATE_LIMITED',
  PROFILE_BUSY: 'PROFILE_BUSY',
  /** A dependency's circuit breaker is open (shared by the replicas): the work is deferred, no attempt spent. */
  CIRCUIT_OPEN: 'CIRCUIT_OPEN',
  CONCURRENT_UPDATE: 'CONCURRENT_UPDATE',
  DEPENDENCY_UNAVAILABLE: 'DEPENDENCY_UNAVAILABLE',
  PUBLISH_BUFFER_FULL: 'PUBLISH_BUFFER_FULL',
  /** X refused a call for a reason that says nothing about the token (403, 404, a redirect, an unexpected 4xx). */
  X_REFUSED: 'X_REFUSED',
  // needs a person: no retry
  CAPTCHA_REQUIRED: 'CAPTCHA_REQUIRED',
  LOGIN_REQUIRED: 'LOGIN_REQUIRED',
  ACCOUNT_LOCKED: 'ACCOUNT_LOCKED',
  ACCESS_DENIED: 'ACCESS_DENIED',
  IDENTITY_MISMATCH: 'IDENTITY_MISMATCH',
  APP_CONFIG_INVALID: 'APP_CONFIG_INVALID',
  TOKEN_EXCHANGE_FAILED: 'TOKEN_EXCHANGE_FAILED',
  REFRESH_TOKEN_INVALID: 'REFRESH_TOKEN_INVALID',
  /** A refresh was sent but its answer never came (timeout, dropped connection, crash): X may have rotated the token. */
  REFRESH_OUTCOME_UNKNOWN: 'REFRESH_OUTCOME_UNKNOWN',
  /** A stored secret cannot be decrypted (its key is missing from ENCRYPTION_KEYS, or it was tampered with). */
  DECRYPTION_FAILED: 'DECRYPTION_FAILED',
  UNRECOGNIZED_PAGE: 'UNRECOGNIZED_PAGE',
  JOB_EXPIRED: 'JOB_EXPIRED',
  // poison: the broker's delivery limit dead-lettered it (derived from x-death)
  DELIVERY_LIMIT_EXCEEDED: 'DELIVERY_LIMIT_EXCEEDED',
  BROKER_DEAD_LETTERED: 'BROKER_DEAD_LETTERED',
  // anything else
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCodeName = keyof typeof ErrorCodes;

import { SECRET_FIELD_NAMES } from '@xauth/contracts';

const SECRET_KEYS = new Set(SECRET_FIELD_NAMES.map((k) => k.toLowerCase()));
export const REDACTED = '[REDACTED]';

// Secrets that hide inside free text: bearer credentials, OAuth query/form parameters, JSON token fields.
const TEXT_PATTERNS: Array<[RegExp, string]> = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  [/\b(code|state|code_verifier|code_challenge|access_token|refresh_token|client_secret|token)=[^&\s"']+/gi, `$1=${REDACTED}`],
  [/"(access_token|refresh_token|code|code_verifier|client_secret|accessToken|refreshToken)"\s*:\s*"[^"]*"/g, `"$1":"${REDACTED}"`],
];

export function redactText(text: string): string {
  let out = text;
  for (const [re, repl] of TEXT_PATTERNS) out = out.replace(re, repl);
  return out;
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase());
}

/** A copy with every secret-named field replaced and secret-looking text scrubbed; bounded depth. */
export function redact<T>(value: T, extraKeys: readonly string[] = [], depth = 0): T {
  if (depth > 8) return '[DEPTH]' as T;
  if (typeof value === 'string') return redactText(value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: redactText(value.message) } as T;
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]` as T;
  if (Array.isArray(value)) return (value as unknown[]).map((v) => redact(v, extraKeys, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isSecretKey(k) || extraKeys.includes(k) ? REDACTED : redact(v, extraKeys, depth + 1);
  }
  return out as T;
}

import { ValidationError } from '@xauth/shared';

/** Client ids are plain identifiers, so `<clientId>.<secret>` splits at the first dot. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** `X-API-Key: <clientId>.<clientSecret>`; undefined when it is not of that form. */
export function parseApiKey(header: string | undefined): ClientCredentials | undefined {
  if (!header || header.length > 700) return undefined;
  const dot = header.indexOf('.');
  if (dot <= 0) return undefined;
  const clientId = header.slice(0, dot);
  const clientSecret = header.slice(dot + 1);
  return CLIENT_ID_PATTERN.test(clientId) && clientSecret ? { clientId, clientSecret } : undefined;
}

/**
 * `Authorization: Basic base64(id:secret)`, where id and secret are form-urlencoded first
 * (RFC 6749 2.3.1). Undefined when the header is not Basic; null when it is Basic but malformed.
 */
export function parseBasicAuth(header: string | undefined): ClientCredentials | null | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return /^Basic(\s|$)/i.test(header ?? '') ? null : undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  try {
    const clientId = formDecode(decoded.slice(0, colon));
    const clientSecret = formDecode(decoded.slice(colon + 1));
    return clientSecret ? { clientId, clientSecret } : null;
  } catch {
    return null;
  }
}

/** The token of `Authorization: Bearer <token>`; undefined when the header is absent or another scheme. */
export function parseBearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/**
 * The client of a token request: HTTP Basic or `client_id`/`client_secret` in the body, never both
 * (RFC 6749 §2.3.1). `credentials` is undefined when they are missing or do not agree.
 */
export function tokenRequestCredentials(
  authorization: string | undefined,
  body: { client_id?: string; client_secret?: string },
): { credentials: ClientCredentials | undefined; viaBasic: boolean } {
  const basic = parseBasicAuth(authorization);
  if (basic === undefined) {
    const credentials = body.client_id && body.client_secret ? { clientId: body.client_id, clientSecret: body.client_secret } : undefined;
    return { credentials, viaBasic: false };
  }
  if (body.client_secret !== undefined) {
    throw new ValidationError({ message: 'authenticate the client one way: HTTP Basic or client_id/client_secret in the body, not both' });
  }
  const agrees = basic !== null && (body.client_id === undefined || body.client_id === basic.clientId);
  return { credentials: agrees ? basic : undefined, viaBasic: true };
}

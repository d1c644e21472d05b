import { ErrorCodes } from '@xauth/contracts';
import { AppError } from '@xauth/shared';
import type { ClientAuthenticator } from './client-authenticator.js';
import type { ClientCredentials } from './credentials.rule.js';
import { grantScopes } from './scopes.rule.js';
import type { ServiceTokens } from './service-token.js';

export interface ClientCredentialsGrant {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export class InvalidClientError extends AppError {
  constructor() {
    super({ code: ErrorCodes.INVALID_CLIENT, httpStatus: 401, retryable: false, message: 'unknown client or wrong secret' });
  }
}

/** OAuth 2.0 client-credentials grant: authenticate the client, narrow its scopes, sign a JWT. */
export async function issueClientToken(
  input: { credentials: ClientCredentials | undefined; scope?: string },
  deps: { authenticator: ClientAuthenticator; tokens: ServiceTokens },
): Promise<ClientCredentialsGrant> {
  const client = input.credentials ? await deps.authenticator.authenticate(input.credentials) : undefined;
  if (!client) throw new InvalidClientError();
  const scopes = grantScopes(client.scopes, input.scope);
  const issued = deps.tokens.issue(client.clientId, scopes, client.tokenVersion);
  return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: scopes.join(' ') };
}

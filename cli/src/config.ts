import { z } from 'zod';
import { ConfigError, env, parseConfig } from '@xauth/shared/config';

/** Well known outside production only (the gateway's development client). */
export const DEV_CLIENT = { id: 'dev-admin', secret: 'dev-admin-secret' } as const;

/** The CLI's one config schema; flags override these variables. */
export const cliConfigShape = {
  // Unlike the services, unset means development: the development credentials only open a development gateway.
  NODE_ENV: z
    .enum(['development', 'test', 'production'])
    .default('development')
    .describe('production makes --client-id and --client-secret required; otherwise the development client is the default'),
  XAUTH_GATEWAY_URL: env.url('http://127.0.0.1:8080', 'gateway base URL the CLI talks to (--gateway)'),
  XAUTH_CLIENT_ID: z.string().optional().describe(`client id for the client-credentials grant (--client-id); default ${DEV_CLIENT.id} outside production`),
  XAUTH_CLIENT_SECRET: z.string().optional().describe('its secret (--client-secret); default the development secret outside production'),
  XAUTH_HTTP_TIMEOUT_MS: env.int(180_000, 'how long one call to the gateway may take (a rate-limited replay takes a while)'),
};

export interface CliFlags {
  gateway?: string;
  clientId?: string;
  clientSecret?: string;
}

export interface CliSettings {
  gatewayUrl: string;
  clientId: string;
  clientSecret: string;
  timeoutMs: number;
}

/** Flags first, then the environment, then (outside production) the development client. */
export function resolveSettings(flags: CliFlags, source: NodeJS.ProcessEnv): CliSettings {
  const c = parseConfig(cliConfigShape, source);
  const production = c.NODE_ENV === 'production';
  const clientId = flags.clientId ?? c.XAUTH_CLIENT_ID ?? (production ? undefined : DEV_CLIENT.id);
  const clientSecret = flags.clientSecret ?? c.XAUTH_CLIENT_SECRET ?? (production ? undefined : DEV_CLIENT.secret);
  const problems: string[] = [];
  if (!clientId) problems.push('XAUTH_CLIENT_ID (or --client-id): required when NODE_ENV=production');
  if (!clientSecret) problems.push('XAUTH_CLIENT_SECRET (or --client-secret): required when NODE_ENV=production');
  if (problems.length) throw new ConfigError(problems);
  const gatewayUrl = z.url().safeParse(flags.gateway ?? c.XAUTH_GATEWAY_URL);
  if (!gatewayUrl.success) throw new ConfigError([`--gateway / XAUTH_GATEWAY_URL: not a URL`]);
  return { gatewayUrl: gatewayUrl.data.replace(/\/+$/, ''), clientId: clientId!, clientSecret: clientSecret!, timeoutMs: c.XAUTH_HTTP_TIMEOUT_MS };
}

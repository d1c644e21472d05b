import { schemaName } from '@xauth/shared';
import { ApiClientEntity } from './api-client.entity.js';
import { CreateGatewayTables1732240000000 } from './migrations/1732240000000-create-gateway-tables.migration.js';
import { ClientsKeysAudit1765000000000 } from './migrations/1765000000000-clients-keys-audit.migration.js';
import { ClientApps1766000000000 } from './migrations/1766000000000-client-apps.migration.js';
import { SigningKeyEntity } from './signing-key.entity.js';

export const entities = [ApiClientEntity, SigningKeyEntity];
export const migrations = [CreateGatewayTables1732240000000, ClientsKeysAudit1765000000000, ClientApps1766000000000];

/** `DATABASE_SCHEMA`, else `<namespace>_gateway`. */
export function gatewaySchema(config: { DATABASE_SCHEMA?: string; XAUTH_NAMESPACE: string }): string {
  return config.DATABASE_SCHEMA ?? schemaName(config.XAUTH_NAMESPACE, 'gateway');
}

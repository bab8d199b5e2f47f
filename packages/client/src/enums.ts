/**
 * The seed SDK's runtime enums: `SecretType.API_KEY`, `AccessTier.CRITICAL`. Each is a frozen
 * object of the wire values and a type of the same name (the union of those values), so
 * `type: SecretType.API_KEY` and `type: 'api_key'` are both accepted wherever a type is.
 */
import type { SecretType as CoreSecretType, Tier } from '@agentvault/core';

export const SecretType = Object.freeze({
  API_KEY: 'api_key',
  OAUTH_TOKEN: 'oauth_token',
  DB_CREDENTIAL: 'db_credential',
  SSH_KEY: 'ssh_key',
  PAYMENT_CREDENTIAL: 'payment_credential',
  CUSTOM: 'custom',
} as const satisfies Record<string, CoreSecretType>);
export type SecretType = (typeof SecretType)[keyof typeof SecretType];

export const AccessTier = Object.freeze({
  STANDARD: 'standard',
  SENSITIVE: 'sensitive',
  CRITICAL: 'critical',
} as const satisfies Record<string, Tier>);
export type AccessTier = (typeof AccessTier)[keyof typeof AccessTier];

/** The seed's name for a tier (`'standard' | 'sensitive' | 'critical'`). */
export type SecretTier = AccessTier;

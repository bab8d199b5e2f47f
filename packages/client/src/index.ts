export type {
  Approval,
  AuditEventView,
  AuditPage,
  ImportResult,
  Page,
  RotateResult,
  ScopedToken,
  Secret,
  SecretMetadata,
  SecretVersion,
  Tier,
  TokenInfo,
} from '@agentvault/core';
// The SDK's errors, so `import { AgentVaultError } from '@agentvault/client'` works as with the seed SDK.
export * from '@agentvault/core/errors';
export {
  AgentVault,
  type AgentVaultOptions,
  type AuditQuery,
  DEFAULT_BASE_URL,
  type GetSecretOptions,
  type ImportEnvOptions,
  type ListSecretsOptions,
  type SecretFields,
  type SetSecretOptions,
  type TokenOptions,
  type WaitForApprovalOptions,
} from './client';
export type { CallOptions } from './transport';
export { AccessTier, type SecretTier, SecretType } from './enums';
export type { IssuedToken, PendingToken, RequestedToken, SecretPage } from './wire';
/** The page `listSecrets` answers (the client's own: `nextCursor` is absent on the last page). */
export type { SecretPage as SecretList } from './wire';

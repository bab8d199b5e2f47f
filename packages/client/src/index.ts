export type {
  Approval,
  AuditEventView,
  AuditPage,
  ImportResult,
  Page,
  RotateResult,
  ScopedToken,
  Secret,
  SecretList,
  SecretMetadata,
  SecretType,
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
export type { RequestedToken } from './wire';

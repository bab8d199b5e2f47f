export type { EncryptionContext, KeyWrapper } from './contracts/key-wrapper';
export * from './contracts/records';
export type * from './contracts/storage';
export { STORE_TENANT } from './contracts/storage';
export { canonicalContext, canonicalContextText, secretContext } from './crypto/context';
export type { DataKeyCacheOptions } from './crypto/dek-cache';
export {
  GENESIS_HASH,
  type LegacyAuditEvent,
  type LegacyChainBreak,
  legacyAuditDigest,
  legacyAuditLink,
  verifyLegacyAuditChains,
} from './domain/audit-chain';
export { consumesUse, type ReadFacts, readEvent, readOutcome } from './domain/read-outcome';
export { applySecretPatch } from './domain/secret-rules';
export { commitConflictError, conflictOf } from './vault/records';
export { eventCanonical, eventDigest } from './vault/audit-seal';
export { SECRET_TYPES, type SecretType, TIERS, type Tier, tierRank } from './domain/classification';
export { type Clock, systemClock } from './domain/clock';
export { AGENT_KEY_PREFIX, hashCredential, TOKEN_PREFIX } from './domain/credentials';
export { AGENT_KEY_FORMAT } from './schemas/access';
export { isUnderNamespace, MAX_PATH_LENGTH, MAX_PATH_SEGMENTS, pathProblem } from './domain/paths';
export { actorOf, type Principal } from './domain/principals';
export { escapeText, type TextKind, textProblem } from './domain/text';
export {
  parseScope,
  patternMatches,
  SCOPE_ACTIONS,
  type Scope,
  type ScopeAction,
  scopeAllows,
} from './domain/scopes';
export * from './errors';
export { requireDriver } from './lazy-require';
export type { CallOptions } from './schemas/secrets';
export type {
  AgentKey,
  Approval,
  CreateAgentKeyInput,
  CreatedAgentKey,
  ListApprovalsOptions,
  ListTokensOptions,
  Page,
  ScopedToken,
  TokenInfo,
  TokenRequest,
  WaitForApprovalOptions,
} from './vault/access';
export type {
  AuditBreak,
  AuditProblem,
  AuditProblemReason,
  AuditQueryOptions,
  AuditVerification,
  SealResult,
  UnsealedTail,
} from './vault/audit';
export { createVault, type Vault } from './vault/create-vault';
export type { VaultEvent, VaultEventListener, VaultEventType } from './vault/events';
export type { RewrapOptions, RewrapResult } from './vault/keys';
export type { MaintenanceHandle, MaintenanceReport } from './vault/lifecycle';
export type { RotationContext, RotationHandler, RotationStage } from './vault/rotation';
export {
  signWebhook,
  verifyWebhookSignature,
  type WebhookDelivery,
  type WebhookNotifier,
  webhookNotifier,
  type WebhookNotifierOptions,
} from './notify/webhook';
export type { Logger, VaultOptions } from './vault/runtime';
export type {
  CreateSecretInput,
  DeleteSecretOptions,
  GetSecretOptions,
  ImportEnvOptions,
  ImportedSecret,
  ImportOutcome,
  ImportResult,
  ListSecretsOptions,
  RollbackSecretOptions,
  RotateSecretOptions,
  SetSecretOptions,
  UpdateSecretInput,
} from './vault/secrets';
export type {
  AuditEventView,
  AuditPage,
  RotateResult,
  Secret,
  SecretList,
  SecretMetadata,
  SecretVersion,
} from './vault/views';

/** The public `Vault`: every operation an embedding app (and the HTTP layer) calls. */
import type { CallOptions } from '../schemas/secrets';
import type { AccessOperations } from './access';
import type { AuditQueryOptions, AuditVerification, SealResult } from './audit';
import type { RewrapOptions, RewrapResult } from './keys';
import type { MaintenanceHandle, MaintenanceReport } from './lifecycle';
import type { RotationHandler } from './rotation';
import type {
  CreateSecretInput,
  DeleteSecretOptions,
  GetSecretOptions,
  ImportEnvOptions,
  ImportResult,
  ListSecretsOptions,
  RollbackSecretOptions,
  RotateSecretOptions,
  SetSecretOptions,
  UpdateSecretInput,
} from './secrets';
import type { AuditPage, RotateResult, Secret, SecretList, SecretMetadata, SecretVersion } from './views';

/**
 * A vault instance. Every operation takes optional call options (`token` to act as a token holder,
 * `principal`, `actor`, `tenant`, `ip`, `userAgent`), checks the caller's rights, and appends one
 * audit event, refusals included. Any number of instances may share one storage backend.
 */
export interface Vault extends AccessOperations {
  // ── Secrets ────────────────────────────────────────────────────────────────

  /** Create a secret with its first version. 409 if the path exists (trashed included). */
  createSecret(input: CreateSecretInput, options?: CallOptions): Promise<SecretMetadata>;
  /** Create the secret, or append a version if it exists (check-and-set with `expectedVersion`). */
  setSecret(path: string, value: string, options?: SetSecretOptions): Promise<SecretMetadata>;
  /** Change the value (a new version) and/or metadata (no new version). */
  updateSecret(path: string, input: UpdateSecretInput, options?: CallOptions): Promise<SecretMetadata>;
  /** The current value (or `version`), audited; 404 missing or trashed, 410 expired or rotated out. */
  getSecret(path: string, options?: GetSecretOptions): Promise<Secret>;
  /** One page of secrets under `namespace`, ordered by path, with filters and a cursor. */
  listSecrets(namespace?: string, options?: ListSecretsOptions): Promise<SecretList>;
  /** Every version of a secret, oldest first, without values. */
  listVersions(path: string, options?: CallOptions): Promise<SecretVersion[]>;
  /** Make an earlier version current again without re-encrypting it. */
  rollbackSecret(path: string, version: number | string, options?: RollbackSecretOptions): Promise<SecretMetadata>;
  /** A new current version; the old one stays readable by number for `gracePeriodSeconds`. */
  rotateSecret(path: string, newValue: string, options?: RotateSecretOptions): Promise<RotateResult>;
  /** Move to the trash (restorable), or with `permanent` destroy every version's ciphertext and key. */
  deleteSecret(path: string, options?: DeleteSecretOptions): Promise<void>;
  /** Take a secret out of the trash. */
  restoreSecret(path: string, options?: CallOptions): Promise<SecretMetadata>;
  /** Import a .env file under a namespace; all or nothing on malformed input. */
  importEnv(text: string, options?: ImportEnvOptions): Promise<ImportResult>;

  // ── Audit ──────────────────────────────────────────────────────────────────

  /** Audit events of the caller's tenant, newest first by default, with filters and a cursor. */
  queryAudit(query?: AuditQueryOptions, options?: CallOptions): Promise<AuditPage>;
  /**
   * Check the trail against its sealed checkpoints: `firstBad` names the first altered, removed,
   * inserted or reordered event up to the last checkpoint; `unsealed` describes the tail after it.
   */
  verifyAudit(options?: CallOptions): Promise<AuditVerification>;
  /** Seal the caller's tenant's unsealed events now (a checkpoint), instead of waiting for N or T. */
  sealAudit(options?: CallOptions): Promise<SealResult>;

  // ── Keys and lifecycle ─────────────────────────────────────────────────────

  /** Re-wrap every data key under the key wrapper's current key (KEK rotation); admins only. */
  rewrap(options?: RewrapOptions): Promise<RewrapResult>;
  /** Register a rotation handler for a secret type or a path pattern; returns the unregister function. */
  registerRotationHandler(typeOrPattern: string, handler: RotationHandler): () => void;
  /** Rotate now with the registered handler, staged (pending → test → promote). */
  rotateNow(path: string, options?: CallOptions): Promise<RotateResult>;
  /** One maintenance pass: purge the trash, expire approvals, warn before expiry, run due rotations. */
  runMaintenance(now?: number | Date): Promise<MaintenanceReport>;
  /** Run maintenance on a timer until `stop()`. */
  startMaintenance(options?: { intervalMs?: number; onReport?: (report: MaintenanceReport) => void }): MaintenanceHandle;

  // ── Instance ───────────────────────────────────────────────────────────────

  /** Forget cached data keys and token records (e.g. after an incident). */
  clearCaches(): void;
  /** Stop the audit sealing timer, wait for seals in progress, and close the storage adapter. */
  close(): Promise<void>;

  // ── Access (core-B) ────────────────────────────────────────────────────────
  // Agent keys, tokens, approvals and events (`on`) are declared by `AccessOperations` in vault/access.ts.
}

/**
 * What storage holds. Times are milliseconds since the Unix epoch; bytes are `Uint8Array`.
 * No record ever holds a plaintext value, a data key in the clear, or a credential: only
 * ciphertext, wrapped keys and SHA-256 hashes of credentials.
 */
import type { SecretType, Tier } from '../domain/classification';

export interface SecretRecord {
  tenant: string;
  /** Validated path (see domain/paths). Unique per tenant, trashed or not. */
  path: string;
  type: SecretType;
  tier: Tier;
  description: string | null;
  tags: Record<string, string>;
  /** The version a read without a version number serves. */
  currentVersion: number;
  /** The highest version ever appended; the next one is `latestVersion + 1`. */
  latestVersion: number;
  createdAt: number;
  /** Actor id (`key:…`, `token:…`, `app:…`, `user:…`). */
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
  /** Last successful value read (ms), or null if never read. */
  accessedAt: number | null;
  /** Past this time reads answer 410; null = never expires. */
  expiresAt: number | null;
  /** Set while the secret is in the trash. */
  trashedAt: number | null;
  /** When a trashed secret may be destroyed by maintenance. */
  purgeAt: number | null;
  /** Automatic rotation; null = rotated by hand only. */
  rotation: RotationPolicy | null;
  /**
   * A staged version awaiting its test and promotion (like AWS Secrets Manager's AWSPENDING), or
   * null. At most one at a time; it is readable by number but never served as the current value.
   */
  pendingVersion: number | null;
  /**
   * This secret's version-history retention, overriding the vault's; absent or null = the vault's.
   * `{ days: null, versions: null }` keeps every version. Optional so records written before it exist.
   */
  versionRetention?: VersionRetention | null;
}

/** How long old versions are kept (domain/version-retention): null bounds do not apply. */
export interface VersionRetention {
  /** Keep a replaced version this many days after it was replaced. */
  days: number | null;
  /** Keep at most this many versions, newest first, the current one included. */
  versions: number | null;
}

/** When and how a secret rotates itself. */
export interface RotationPolicy {
  everySeconds: number;
  /** How long the replaced version stays readable after each rotation. */
  gracePeriodSeconds: number;
  /** When the next rotation is due (ms). */
  nextAt: number;
  /** Consecutive failed attempts; drives the retry backoff, reset by a success. */
  failures: number;
}

/** A data key wrapped by a KeyWrapper. Opaque to storage; stored and returned byte for byte. */
export interface WrappedKey {
  /** The key-encryption key that wrapped it (a keyring id, a KMS key ARN, a key-version name). */
  keyId: string;
  ciphertext: Uint8Array;
}

/** One immutable version of a secret's value. */
export interface VersionRecord {
  tenant: string;
  path: string;
  version: number;
  /** The value sealed with AES-256-GCM under the version's data key (see crypto/envelope). */
  ciphertext: Uint8Array;
  wrappedKey: WrappedKey;
  createdAt: number;
  createdBy: string;
  /** A rotated-out version is readable by number until this time; null = no limit. */
  retiresAt: number | null;
}

/** A version's facts without its ciphertext, for history listings. */
export type VersionInfo = Omit<VersionRecord, 'ciphertext' | 'wrappedKey'> & { keyId: string };

export const AUDIT_EVENT_TYPES = [
  'secret.create',
  'secret.read',
  'secret.update',
  'secret.rotate',
  'secret.rollback',
  'secret.delete',
  'secret.restore',
  'secret.destroy',
  /** Old versions destroyed by the version-retention policy (maintenance); details name them. */
  'secret.prune',
  'secret.list',
  'secret.versions',
  'secret.import',
  'secret.stage',
  'secret.discard',
  'secret.expiring',
  'key.rewrap',
  'agent_key.create',
  'agent_key.revoke',
  'agent_key.list',
  'token.request',
  'token.issue',
  'token.revoke',
  'token.list',
  'approval.request',
  'approval.approve',
  'approval.deny',
  'approval.read',
  'approval.list',
  'approval.expire',
  'audit.read',
  'audit.verify',
  'auth.authenticate',
  /** Failed authentications from one client address over one window, counted (HTTP layer). */
  'auth.failed',
  /** Refusals raised before the vault (bad input, rate limits) from one address over one window, counted. */
  'request.refused',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** Non-secret facts about an event: flat, JSON-safe values only. */
export type AuditDetails = Record<string, string | number | boolean | null>;

/** The part of an audit event the vault composes before calling storage. */
export interface AuditDraft {
  /** `evt_…`, unique within the whole store. */
  id: string;
  tenant: string;
  type: AuditEventType;
  path: string | null;
  /** `key:<id>`, `token:<id>`, `app:<name>` or `user:<id>`; never a credential. */
  actor: string;
  actorDescription: string | null;
  ip: string | null;
  userAgent: string | null;
  timestamp: number;
  details: AuditDetails;
}

/** How the operation ended. For an audited read, storage decides it (see `readSecret`). */
export interface AuditOutcome {
  success: boolean;
  /** The refusal or error code when `success` is false (see `ReadOutcome` and errors.ts codes). */
  error: string | null;
  /** The secret version the operation produced or served, when there is one. */
  version: number | null;
}

export type AuditEventInput = AuditDraft & AuditOutcome;

/** A stored audit event. */
export interface AuditEvent extends AuditEventInput {
  /** Position in the tenant's trail: 1, 2, 3… with no gaps, assigned by storage at append. */
  seq: number;
}

/**
 * The tenant's audit seal (one record, id `AUDIT_SEAL_ID`): the seal key, wrapped by the vault's
 * KeyWrapper (bound to `{ tenant, purpose: 'audit-seal' }`), and the head of the checkpoint chain.
 * Storage never sees the seal key in the clear.
 */
export interface AuditSealRecord {
  tenant: string;
  id: string;
  wrappedKey: WrappedKey;
  /** Checkpoints written so far; the last one is `checkpoints` (0 = none). */
  checkpoints: number;
  /** The last sealed event's seq (0 = none). */
  sealedSeq: number;
  /** The last checkpoint's MAC (hex); '' before the first. */
  lastMac: string;
}

/**
 * One checkpoint: HMAC-SHA256 under the seal key over the previous checkpoint's MAC and the digests
 * of the events `fromSeq..toSeq` (vault/audit-seal). Id: the checkpoint number, zero-padded to 12 digits.
 */
export interface AuditCheckpointRecord {
  tenant: string;
  id: string;
  n: number;
  fromSeq: number;
  toSeq: number;
  /** Per-event digests (hex, truncated), so verification names the first event that differs. */
  digests: string[];
  prevMac: string;
  mac: string;
  sealedAt: number;
}

export const ROLES = ['admin', 'approver'] as const;
export type Role = (typeof ROLES)[number];

/** An agent key (`ass_live_…`): a tenant's master credential. Only its hash is stored. */
export interface AgentKeyRecord {
  /** `key_…` */
  id: string;
  tenant: string;
  /** SHA-256 (hex) of the key value. Unique across the store. */
  hash: string;
  description: string | null;
  roles: Role[];
  createdAt: number;
  createdBy: string;
  revokedAt: number | null;
}

/** A scoped token (`ast_tok_…`). Only its hash is stored. */
export interface TokenRecord {
  /** `tok_…` */
  id: string;
  tenant: string;
  /** SHA-256 (hex) of the token value. Unique across the store. */
  hash: string;
  /** The scope string as granted, normalized (see domain/scopes). */
  scope: string;
  /** The highest tier the token may touch. */
  approvedTier: Tier;
  description: string | null;
  /** IPs and CIDRs the token may be used from; null = anywhere. */
  allowedIps: string[] | null;
  /** null = unlimited within the TTL. */
  maxUses: number | null;
  /** null when `maxUses` is null. */
  usesRemaining: number | null;
  createdAt: number;
  expiresAt: number;
  /** The actor that requested it. */
  issuedBy: string;
  /** The token it was minted from, if a token minted it. */
  parentId: string | null;
  /**
   * Every principal above it, nearest first: its ancestors (`token:<id>`) and the actor that minted
   * the root (`key:<id>`, `user:<id>`, `app:<name>`). None of them may decide a request it makes.
   */
  lineage: string[];
  /** The root of its tree (itself for a root token): the tree shares the root's rate-limit bucket. */
  rootId: string;
  approvalRequestId: string | null;
  revokedAt: number | null;
}

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';

export interface ApprovalDecision {
  decision: 'approve' | 'deny';
  /** Actor id of the approver. */
  by: string;
  /** The approver's comment or the denial reason. */
  note: string | null;
  at: number;
}

/** A token request waiting for (or past) human decisions (`apr_…`). */
export interface ApprovalRecord {
  id: string;
  tenant: string;
  /** Actor id of the requester; only it may claim the token. */
  requestedBy: string;
  /** The requester's lineage (see `TokenRecord.lineage`); with `requestedBy`, who may never decide it. */
  lineage: string[];
  requesterDescription: string | null;
  /** The requested token, minted on the first claim after approval. */
  request: {
    scope: string;
    ttlSeconds: number;
    description: string | null;
    allowedIps: string[] | null;
    maxUses: number | null;
    parentId: string | null;
  };
  tier: Tier;
  status: ApprovalStatus;
  decisions: ApprovalDecision[];
  requiredApprovals: number;
  createdAt: number;
  expiresAt: number;
  decidedAt: number | null;
  /** Set when the requester collected the token; a token is handed out once. */
  claimedAt: number | null;
  tokenId: string | null;
}

/** A named lease (store-wide: tenant `STORE_TENANT`, id = the lease name). */
export interface LeaseRecord {
  tenant: string;
  id: string;
  owner: string;
  expiresAt: number;
}

/** Which warning before expiry: 7 days or 1 day. */
export type ExpiryWarningKind = '7d' | '1d';

/** One expiry warning sent; id `expiryWarningId(path, expiresAt, kind)`. A new expiresAt is a new warning. */
export interface ExpiryWarningRecord {
  tenant: string;
  id: string;
  path: string;
  expiresAt: number;
  kind: ExpiryWarningKind;
  sentAt: number;
}

/** Every kind of record storage keeps, by kind. */
export interface RecordTypes {
  secret: SecretRecord;
  version: VersionRecord;
  agent_key: AgentKeyRecord;
  token: TokenRecord;
  approval: ApprovalRecord;
  lease: LeaseRecord;
  expiry_warning: ExpiryWarningRecord;
  audit_seal: AuditSealRecord;
  audit_checkpoint: AuditCheckpointRecord;
}
export type RecordKind = keyof RecordTypes;

/** Kinds keyed by `(tenant, id)`; secrets are keyed by path and versions by (path, version). */
export type IdKind = Exclude<RecordKind, 'secret' | 'version'>;

export type RecordKey =
  | { kind: 'secret'; tenant: string; path: string }
  | { kind: 'version'; tenant: string; path: string; version: number }
  | { kind: IdKind; tenant: string; id: string };

/** The key a record is stored under. */
export function recordKey<K extends RecordKind>(kind: K, record: RecordTypes[K]): RecordKey {
  if (kind === 'secret') {
    const secret = record as SecretRecord;
    return { kind: 'secret', tenant: secret.tenant, path: secret.path };
  }
  if (kind === 'version') {
    const version = record as VersionRecord;
    return { kind: 'version', tenant: version.tenant, path: version.path, version: version.version };
  }
  const { tenant, id } = record as { tenant: string; id: string };
  return { kind: kind as IdKind, tenant, id };
}

/** The id of the tenant's audit seal record. */
export const AUDIT_SEAL_ID = 'seal';

export function expiryWarningId(path: string, expiresAt: number, kind: ExpiryWarningKind): string {
  return `${path}|${expiresAt}|${kind}`;
}

export function checkpointId(n: number): string {
  return String(n).padStart(12, '0');
}

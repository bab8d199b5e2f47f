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
  /** Which of the tenant's hash chains the event joins (0 ≤ chain < the vault's `auditChains`). */
  chain: number;
  type: AuditEventType;
  path: string | null;
  /** `key:<id>`, `token:<id>`, `app:<name>` or `user:<id>`; never a credential. */
  actor: string;
  actorDescription: string | null;
  ip: string | null;
  userAgent: string | null;
  timestamp: number;
  details: AuditDetails;
  /** SHA-256 (hex) of the draft's canonical form (domain/audit-chain `auditDigest`). */
  digest: string;
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
export interface AuditEvent extends Omit<AuditEventInput, 'digest'> {
  /** Position in its chain: 1, 2, 3… with no gaps. */
  seq: number;
  /** The chain link (hex): `auditLink(previous hash, digest, outcome)`; the first event links to `GENESIS_HASH`. */
  hash: string;
}

export interface AuditChainHead {
  chain: number;
  seq: number;
  hash: string;
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

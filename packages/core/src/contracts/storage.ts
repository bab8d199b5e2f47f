/**
 * The storage contract. Every method is atomic on its own: it does all of its work, audit event
 * included, or none of it. Times are ms since the epoch; `tenant` scopes every record, and no
 * method ever reads or changes another tenant's data.
 *
 * Errors an adapter throws:
 * - the domain outcomes named below, as the classes from `@agentvault/core/errors`
 *   (`AgentVaultConflictError`, `AgentVaultNotFoundError`, `AgentVaultGoneError`, `AgentVaultAuthError`);
 * - `AgentVaultUnavailableError` (with `cause`) when the backend cannot be reached or the connection
 *   dropped mid-call. The call is still all or nothing, but which of the two is unknown when the
 *   reply was lost after the backend acted (true of every network store);
 * - anything else is wrapped by the vault as an internal error naming the adapter.
 *
 * The conformance suite (`runStorageConformance` in `@agentvault/core/testing`) checks every MUST.
 */
import type { SecretType, Tier } from '../domain/classification';
import type {
  AgentKeyRecord,
  ApprovalDecision,
  ApprovalRecord,
  ApprovalStatus,
  AuditChainHead,
  AuditDraft,
  AuditEvent,
  AuditEventInput,
  AuditEventType,
  RotationPolicy,
  SecretRecord,
  TokenRecord,
  VersionInfo,
  VersionRecord,
  WrappedKey,
} from './records';

/** Metadata a write may change; an absent key leaves the field as it is, `null` clears it. */
export type SecretPatch = Partial<Pick<SecretRecord, 'type' | 'tier' | 'description' | 'tags' | 'expiresAt' | 'rotation'>>;

/**
 * How an audited read ended. Storage decides it, in this order of precedence:
 * token_revoked / token_expired / token_exhausted → not_found → tier_exceeded → expired → retired → ok.
 */
export type ReadOutcome =
  | 'ok'
  | 'token_revoked'
  | 'token_expired'
  | 'token_exhausted'
  | 'not_found'
  | 'tier_exceeded'
  | 'expired'
  | 'retired';

export type ReadResult =
  | { outcome: 'ok'; secret: SecretRecord; version: VersionRecord }
  | { outcome: Exclude<ReadOutcome, 'ok'> };

/** Which warning before expiry: 7 days or 1 day. */
export type ExpiryWarningKind = '7d' | '1d';

export type TokenUseOutcome = 'ok' | 'token_revoked' | 'token_expired' | 'token_exhausted';

export interface ReadSecretInput {
  tenant: string;
  path: string;
  /** null = the current version. */
  version: number | null;
  now: number;
  /** The highest tier the reader may see; null = no limit. */
  maxTier: Tier | null;
  /** Consume one use of this token as part of the read; null for reads without a token. */
  token: { id: string } | null;
  /** The event to append; storage fills in the outcome (`success`, `error`, `version`). */
  event: AuditDraft;
}

export interface ListSecretsQuery {
  tenant: string;
  /** Lists paths under `namespace + "/"`; `""` lists every path of the tenant. */
  namespace: string;
  /** Keyset: only paths strictly greater than this one (code-unit order). */
  afterPath: string | null;
  limit: number;
  /** Only these tiers / types; absent = any. */
  tiers?: Tier[];
  types?: SecretType[];
  /** Every given tag must be present with exactly this value. */
  tags?: Record<string, string>;
  /** false = only live secrets, true = only trashed ones. */
  trashed: boolean;
}

export interface ListSecretsPage {
  items: SecretRecord[];
  /** How many secrets match the query, ignoring `afterPath` and `limit`. */
  total: number;
}

export interface AuditQuery {
  tenant: string;
  /** Events whose path is under `namespace + "/"`; events without a path never match. */
  namespace?: string;
  /** Events of exactly this path. */
  path?: string;
  actor?: string;
  types?: AuditEventType[];
  /** Inclusive lower bound (ms). */
  since?: number;
  /** Exclusive upper bound (ms). */
  until?: number;
  success?: boolean;
  /** Keyset: events strictly after this (timestamp, id) pair in the requested order. */
  after: { timestamp: number; id: string } | null;
  order: 'asc' | 'desc';
  limit: number;
}

export interface VersionKey {
  tenant: string;
  path: string;
  version: number;
}

export interface StorageAdapter {
  /** Short name used to prefix wrapped errors ("memory", "postgres", "redis"). */
  readonly name: string;

  // ── Secrets ────────────────────────────────────────────────────────────────

  /**
   * Store a new secret with its first version (`secret.currentVersion = latestVersion = 1`) and append `event`.
   * MUST throw AgentVaultConflictError, storing nothing, if the tenant already has this path, trashed or not.
   */
  createSecret(input: {
    secret: SecretRecord;
    version: VersionRecord;
    event: AuditEventInput;
  }): Promise<void>;

  /**
   * Append `version` as the new current and latest version, apply `patch`, set `updatedAt`/`updatedBy`
   * from the version, and append `event`.
   * When `retirePreviousAt` is a number, the version that was current gets `retiresAt` = that number.
   * MUST throw AgentVaultNotFoundError if the secret does not exist or is trashed.
   * MUST throw AgentVaultConflictError, changing nothing, unless `version.version === latestVersion + 1`
   * and `currentVersion === expectedCurrentVersion`. Of concurrent appends of one number, exactly one wins.
   * Returns the secret as stored after the append.
   */
  appendVersion(input: {
    version: VersionRecord;
    expectedCurrentVersion: number;
    patch: SecretPatch;
    retirePreviousAt: number | null;
    event: AuditEventInput;
  }): Promise<SecretRecord>;

  /**
   * Change metadata only (no new version), set `updatedAt`/`updatedBy`, append `event`.
   * MUST throw AgentVaultNotFoundError if missing or trashed; AgentVaultConflictError if
   * `expectedCurrentVersion` is a number other than `currentVersion`.
   */
  updateSecretMetadata(input: {
    tenant: string;
    path: string;
    expectedCurrentVersion: number | null;
    patch: SecretPatch;
    updatedAt: number;
    updatedBy: string;
    event: AuditEventInput;
  }): Promise<SecretRecord>;

  /**
   * Make an existing version current again; `latestVersion` is unchanged. Append `event`.
   * MUST throw AgentVaultNotFoundError if the secret is missing or trashed or has no such version;
   * AgentVaultGoneError if that version's `retiresAt <= now`; AgentVaultConflictError if it is the
   * pending version (untested; only a promotion makes it current) or if `expectedCurrentVersion`
   * is a number other than `currentVersion`.
   */
  rollbackSecret(input: {
    tenant: string;
    path: string;
    toVersion: number;
    expectedCurrentVersion: number | null;
    now: number;
    by: string;
    event: AuditEventInput;
  }): Promise<SecretRecord>;

  /** The secret's metadata, trashed or not; null if the tenant has no such path. */
  getSecret(tenant: string, path: string): Promise<SecretRecord | null>;

  /**
   * The audited read, in one atomic call (one round trip for network stores):
   * 1. if `token` is set: the token MUST belong to `tenant`, be unrevoked and unexpired at `now`,
   *    and when it has `usesRemaining` it MUST be > 0 and is decremented. Otherwise the outcome is
   *    token_revoked (also for an unknown id) / token_expired / token_exhausted. A use is consumed
   *    whenever this step passes, whatever the later outcome.
   * 2. not_found if the secret is missing or trashed, or has no such version;
   *    tier_exceeded if `maxTier` is set and the secret's tier ranks above it;
   *    expired if `expiresAt <= now`; retired if the version's `retiresAt <= now`.
   * 3. on ok: set `accessedAt = now` and return the secret (as updated) and the version.
   * 4. always: append `event` with `success = (outcome === 'ok')`, `error` = the outcome when not ok,
   *    `version` = the version served on ok, else the requested version (or null).
   * If appending the event fails, the call MUST fail and change nothing (fail-closed).
   */
  readSecret(input: ReadSecretInput): Promise<ReadResult>;

  /**
   * One page of the tenant's secrets, ordered by path, with the filters of `ListSecretsQuery`.
   * Returns at most `limit` items. A page MUST neither skip nor repeat a path that existed, unchanged
   * in its filters, for the whole walk, even while other paths are written.
   */
  listSecrets(query: ListSecretsQuery): Promise<ListSecretsPage>;

  /** Every version of the secret (trashed or not), oldest first, without ciphertext; [] if none. */
  listVersions(tenant: string, path: string): Promise<VersionInfo[]>;

  /**
   * Move a live secret to the trash (`trashedAt = now`, `purgeAt`; `updatedAt`/`updatedBy` unchanged), append `event`.
   * MUST throw AgentVaultNotFoundError if it is missing or already trashed.
   */
  trashSecret(input: {
    tenant: string;
    path: string;
    now: number;
    purgeAt: number;
    by: string;
    event: AuditEventInput;
  }): Promise<void>;

  /**
   * Take a secret out of the trash (`trashedAt = purgeAt = null`, `updatedAt = now`, `updatedBy = by`),
   * append `event`, and return it. MUST throw AgentVaultNotFoundError if it is missing or not trashed.
   */
  restoreSecret(input: {
    tenant: string;
    path: string;
    now: number;
    by: string;
    event: AuditEventInput;
  }): Promise<SecretRecord>;

  /**
   * Destroy the secret and every version's ciphertext and wrapped key, trashed or not; the path is
   * free again afterwards. Append `event`. MUST throw AgentVaultNotFoundError if it is missing, or —
   * when `purgeDueBy` is given (maintenance purging the trash) — unless it is trashed with
   * `purgeAt <= purgeDueBy`, so a secret restored meanwhile is never destroyed.
   */
  destroySecret(input: { tenant: string; path: string; purgeDueBy?: number; event: AuditEventInput }): Promise<void>;

  // ── Staged rotation ────────────────────────────────────────────────────────

  /**
   * Append `version` as the pending version: `latestVersion` and `pendingVersion` become
   * `version.version`; `currentVersion` is unchanged. Append `event`.
   * MUST throw AgentVaultNotFoundError if the secret is missing or trashed; AgentVaultConflictError,
   * changing nothing, if a pending version exists, `version.version !== latestVersion + 1`, or
   * `currentVersion !== expectedCurrentVersion`.
   */
  stageVersion(input: { version: VersionRecord; expectedCurrentVersion: number; event: AuditEventInput }): Promise<SecretRecord>;

  /**
   * Make the pending version current: `currentVersion = version`, `pendingVersion = null`, the
   * replaced version's `retiresAt = retirePreviousAt`, `rotation` set to `rotation`, `updatedAt = now`,
   * `updatedBy = by`. Append `event`. MUST throw AgentVaultConflictError, changing nothing, unless
   * the secret exists with `pendingVersion === version` and `latestVersion === version` (no write
   * came after it). A trashed secret is treated like a live one (a restore finds it rotated).
   */
  promoteVersion(input: {
    tenant: string;
    path: string;
    version: number;
    retirePreviousAt: number;
    rotation: RotationPolicy | null;
    now: number;
    by: string;
    event: AuditEventInput;
  }): Promise<SecretRecord>;

  /**
   * Give up a pending version: its `retiresAt = now` (it never becomes readable again),
   * `pendingVersion = null`, `rotation` set to `rotation`. Append `event`.
   * MUST throw AgentVaultConflictError, changing nothing, unless the secret exists (trashed or
   * not) with `pendingVersion === version`.
   */
  discardPending(input: {
    tenant: string;
    path: string;
    version: number;
    rotation: RotationPolicy | null;
    now: number;
    event: AuditEventInput;
  }): Promise<SecretRecord>;

  // ── Maintenance ────────────────────────────────────────────────────────────

  /**
   * Take or renew a named lease until `now + ttlMs`. Returns true if `owner` now holds it: it was
   * free, expired (`expiresAt <= now`), or already held by `owner`. Of concurrent acquirers of a
   * free lease exactly one gets it.
   */
  acquireLease(input: { name: string; owner: string; now: number; ttlMs: number }): Promise<boolean>;

  /** Give a lease up if `owner` holds it; otherwise do nothing. */
  releaseLease(input: { name: string; owner: string }): Promise<void>;

  /**
   * Live secrets of every tenant whose rotation is due (`rotation.nextAt <= now`) or that have a
   * pending version, by `rotation.nextAt` (pending ones first), at most `limit`.
   */
  listDueRotations(query: { now: number; limit: number }): Promise<SecretRecord[]>;

  /**
   * Live secrets of every tenant with `from < expiresAt <= until`, ordered by (expiresAt, tenant,
   * path), strictly after `after`, at most `limit`.
   */
  listExpiringSecrets(query: {
    from: number;
    until: number;
    after: { expiresAt: number; tenant: string; path: string } | null;
    limit: number;
  }): Promise<SecretRecord[]>;

  /** Trashed secrets of every tenant with `purgeAt <= now`, oldest first, at most `limit`. */
  listPurgeableSecrets(query: { now: number; limit: number }): Promise<SecretRecord[]>;

  /**
   * Record one expiry warning and append `event` together. Returns true if this is the first
   * claim of (tenant, path, expiresAt, kind) — across all instances, ever — and false, appending
   * nothing, otherwise. A new `expiresAt` is a new warning.
   */
  claimExpiryWarning(input: {
    tenant: string;
    path: string;
    expiresAt: number;
    kind: ExpiryWarningKind;
    event: AuditEventInput;
  }): Promise<boolean>;

  /**
   * Wrapped data keys of every tenant, ordered by (tenant, path, version), strictly after `after`,
   * optionally only those whose `keyId` differs from `notKeyId`. For key-encryption-key rotation.
   */
  listWrappedKeys(query: {
    after: VersionKey | null;
    limit: number;
    notKeyId?: string;
  }): Promise<Array<VersionKey & { wrappedKey: WrappedKey }>>;

  /**
   * Replace one version's wrapped key if it still equals `expected` (key id and bytes).
   * Returns false, changing nothing, if the version is gone or its wrapped key changed.
   */
  replaceWrappedKey(input: VersionKey & { expected: WrappedKey; next: WrappedKey }): Promise<boolean>;

  // ── Audit ──────────────────────────────────────────────────────────────────

  /**
   * Append one event to its chain: `seq` = chain head + 1, `hash` = auditLink(head hash, digest, outcome).
   * MUST throw, appending nothing, if an event with the same id exists. Concurrent appends to one
   * chain MUST produce a gapless, unforked chain.
   */
  appendAudit(event: AuditEventInput): Promise<void>;

  /** Events matching the query, in (timestamp, id) order, at most `limit`. */
  queryAudit(query: AuditQuery): Promise<AuditEvent[]>;

  /** Events of one chain with `seq > afterSeq`, by seq, at most `limit`. */
  readAuditChain(query: {
    tenant: string;
    chain: number;
    afterSeq: number;
    limit: number;
  }): Promise<AuditEvent[]>;

  /** The head (last seq and hash) of every chain the tenant has. */
  auditHeads(tenant: string): Promise<AuditChainHead[]>;

  // ── Agent keys ─────────────────────────────────────────────────────────────

  /** Store a new key and append `event`. MUST throw AgentVaultConflictError if the id or hash exists. */
  createAgentKey(input: { key: AgentKeyRecord; event: AuditEventInput }): Promise<void>;

  /** The key with this hash, in any tenant; null if none. */
  findAgentKey(hash: string): Promise<AgentKeyRecord | null>;

  /** The tenant's keys, revoked included, oldest first. */
  listAgentKeys(tenant: string): Promise<AgentKeyRecord[]>;

  /**
   * Set `revokedAt = now` (kept if already revoked) and append `event`; returns the record.
   * MUST throw AgentVaultNotFoundError if the tenant has no such key.
   */
  revokeAgentKey(input: {
    tenant: string;
    id: string;
    now: number;
    event: AuditEventInput;
  }): Promise<AgentKeyRecord>;

  // ── Scoped tokens ──────────────────────────────────────────────────────────

  /**
   * Store a new token and append `event`. When `parentId` is set the parent MUST exist in the tenant
   * and be unrevoked, else throw AgentVaultAuthError storing nothing (so a token minted from a parent
   * that is being revoked is either refused or visible to the revocation's child listing).
   */
  createToken(input: { token: TokenRecord; event: AuditEventInput }): Promise<void>;

  /** The token with this hash, in any tenant; null if none. */
  findToken(hash: string): Promise<TokenRecord | null>;

  getToken(tenant: string, id: string): Promise<TokenRecord | null>;

  /**
   * Consume one use: the token MUST be unrevoked and unexpired at `now`, and when `usesRemaining`
   * is a number it MUST be > 0 and is decremented. Of N concurrent uses of a token with k uses left,
   * exactly min(N, k) succeed. Returns the outcome and, on ok, the token as updated.
   */
  useToken(input: {
    tenant: string;
    id: string;
    now: number;
  }): Promise<{ outcome: TokenUseOutcome; token: TokenRecord | null }>;

  /**
   * Set `revokedAt = now` (kept if already revoked) and append `event`; returns the record.
   * MUST throw AgentVaultNotFoundError if the tenant has no such token.
   */
  revokeToken(input: {
    tenant: string;
    id: string;
    now: number;
    event: AuditEventInput;
  }): Promise<TokenRecord>;

  /**
   * The tenant's tokens ordered by id, after `afterId`; with `parentId`, only its children;
   * with `activeAt`, only tokens usable at that time (unrevoked, unexpired, and with uses left).
   */
  listTokens(query: {
    tenant: string;
    parentId?: string;
    activeAt?: number;
    afterId: string | null;
    limit: number;
  }): Promise<TokenRecord[]>;

  // ── Approvals ──────────────────────────────────────────────────────────────

  /** Store a new pending request and append `event`. MUST throw AgentVaultConflictError if the id exists. */
  createApproval(input: { approval: ApprovalRecord; event: AuditEventInput }): Promise<void>;

  getApproval(tenant: string, id: string): Promise<ApprovalRecord | null>;

  /**
   * Record one decision and append `event`; returns the request as updated.
   * MUST throw AgentVaultNotFoundError if missing; AgentVaultConflictError, changing nothing, if the
   * status is not pending, `expiresAt <= now`, or `decision.by` already decided it.
   * A deny sets status denied; an approve that brings the approvals to `requiredApprovals` sets
   * status approved; both set `decidedAt = now`. Of concurrent decisions, only those that fit before
   * the request is settled are recorded (one, for a quorum of one).
   */
  decideApproval(input: {
    tenant: string;
    id: string;
    decision: ApprovalDecision;
    now: number;
    event: AuditEventInput;
  }): Promise<ApprovalRecord>;

  /**
   * Hand the approved token out once: set `claimedAt = now`, `tokenId = token.id`, store `token`
   * and append `event` together. MUST throw AgentVaultNotFoundError if missing and
   * AgentVaultConflictError, storing nothing, if the status is not approved or it was claimed.
   * Of concurrent claims exactly one succeeds.
   */
  claimApproval(input: {
    tenant: string;
    id: string;
    now: number;
    token: TokenRecord;
    event: AuditEventInput;
  }): Promise<ApprovalRecord>;

  /**
   * Mark a pending request past its deadline as expired (`status = 'expired'`) and append `event`.
   * MUST throw AgentVaultConflictError, changing nothing, unless it is pending with `expiresAt <= now`;
   * AgentVaultNotFoundError if missing.
   */
  expireApproval(input: { tenant: string; id: string; now: number; event: AuditEventInput }): Promise<ApprovalRecord>;

  /** Pending requests of every tenant with `expiresAt <= now`, oldest first, at most `limit`. */
  listExpiredApprovals(query: { now: number; limit: number }): Promise<ApprovalRecord[]>;

  /** The tenant's requests ordered by id, after `afterId`, optionally of one stored status. */
  listApprovals(query: {
    tenant: string;
    status?: ApprovalStatus;
    afterId: string | null;
    limit: number;
  }): Promise<ApprovalRecord[]>;

  /** Release connections. The adapter is unusable afterwards. */
  close?(): Promise<void>;
}

/** The argument of a `StorageAdapter` method, so adapters name it without restating its shape. */
export type StorageInput<M extends keyof StorageAdapter> =
  Parameters<Extract<StorageAdapter[M], (...args: never[]) => unknown>>[0];

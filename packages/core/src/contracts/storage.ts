/**
 * The storage contract (v2). Storage offers primitives; every rule lives once, in core.
 *
 * - a hot path kept bespoke for speed: the audited read (`readSecret`) and the version write
 *   (`writeVersion`), each one adapter call (one round trip on network stores);
 * - records with atomic conditional commits (`getRecords`, `findCredential`, `commit`): approvals,
 *   agent keys, tokens and their budgets, leases, expiry-warning claims, audit seals and every
 *   secret change other than a new version are core logic over these;
 * - indexed listings with keyset cursors (`listSecrets`, `listRecords`, `listDue`, `listWrappedKeys`);
 * - the audit trail: appended by `readSecret`, `writeVersion` and `commit`, read back by
 *   `queryAudit` and `readAudit`. Storage numbers events contiguously per tenant and computes no
 *   hash: core seals the trail with a key storage never sees (vault/audit-seal).
 *
 * Times are ms since the epoch; `tenant` scopes every record (store-wide records use the tenant
 * `STORE_TENANT`), and no method ever reads or changes another tenant's data unless it says so.
 *
 * Errors an adapter throws:
 * - `AgentVaultConflictError` for a failed condition (`writeVersion`, `commit`), changing nothing;
 * - `AgentVaultUnavailableError` (with `cause`) when the backend cannot be reached or the connection
 *   dropped mid-call. The call is still all or nothing, but which of the two is unknown when the
 *   reply was lost after the backend acted (true of every network store);
 * - anything else is wrapped by the vault as an internal error naming the adapter.
 *
 * The conformance suite (`runStorageConformance` in `@agentvault/core/testing`) checks every MUST.
 */
import type { SecretType, Tier } from '../domain/classification';
import type {
  AuditDraft,
  AuditEvent,
  AuditEventInput,
  AuditEventType,
  RecordKey,
  RecordKind,
  RecordTypes,
  SecretRecord,
  VersionRecord,
  WrappedKey,
} from './records';

/** The tenant of records that belong to the whole store (leases). */
export const STORE_TENANT = '*';

/** Metadata a version write may change; an absent key leaves the field as it is, `null` clears it. */
export type SecretPatch = Partial<
  Pick<SecretRecord, 'type' | 'tier' | 'description' | 'tags' | 'expiresAt' | 'rotation' | 'versionRetention'>
>;

/**
 * How an audited read ended, in this order of precedence (core's `readOutcome` in domain/read-outcome
 * is the reference; in-process adapters call it):
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

export type ReadResult = (
  | { outcome: 'ok'; secret: SecretRecord; version: VersionRecord }
  | { outcome: Exclude<ReadOutcome, 'ok'> }
) & {
  /**
   * MAY: the seq the read's event got. Core then seals that event from what it sent (`readEvent`)
   * instead of reading it back; a network store saves the read-back's traffic. If given, it MUST be
   * the event's seq.
   */
  seq?: number;
};

export interface ReadSecretInput {
  tenant: string;
  path: string;
  /** null = the current version. */
  version: number | null;
  now: number;
  /** The highest tier the reader may see; null = no limit. */
  maxTier: Tier | null;
  /** Consume one use of this token (by id, in `tenant`) as part of the read; null for reads without a token. */
  token: { id: string } | null;
  /** The event to append; storage fills in the outcome (`success`, `error`, `version`) and `seq`. */
  event: AuditDraft;
}

/** A stored record with its revision: 1 when created, +1 on every change. */
export interface Stored<K extends RecordKind = RecordKind> {
  kind: K;
  record: RecordTypes[K];
  rev: number;
}

/** What a write in a commit expects to find: a record at exactly this revision, or none. */
export type Expectation = number | 'absent';

export type RecordWrite =
  | { [K in RecordKind]: { op: 'put'; kind: K; record: RecordTypes[K]; expect: Expectation } }[RecordKind]
  | { op: 'delete'; key: RecordKey; expect: number }
  /** A condition only: the record is at exactly this rev (or absent), and stays unchanged. */
  | { op: 'check'; key: RecordKey; expect: Expectation };

/** Where a failed condition was: the write's index in `writes`, for core to decide a retry. */
export interface CommitConflict {
  index: number;
  key: RecordKey;
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
  /** Every given tag must be present with exactly this value. Served from an index, not a scan. */
  tags?: Record<string, string>;
  /** false = only live secrets, true = only trashed ones. */
  trashed: boolean;
}

export interface ListSecretsPage {
  items: SecretRecord[];
  /** How many secrets match the query, ignoring `afterPath` and `limit`. */
  total: number;
}

/** Kinds `listRecords` lists, with the fields it can filter on (each served from an index). */
export interface RecordFilters {
  token: { parentId?: string; issuedBy?: string };
  agent_key: Record<never, never>;
  approval: { status?: RecordTypes['approval']['status'] };
  audit_checkpoint: Record<never, never>;
}

export interface ListRecordsQuery<K extends keyof RecordFilters> {
  kind: K;
  tenant: string;
  /** Keyset: only ids strictly greater than this one (code-unit order). */
  afterId: string | null;
  limit: number;
  where?: RecordFilters[K];
}

/** The cross-tenant listings maintenance needs, each ordered and served from an index. */
export type DueQuery =
  /** Live secrets with a pending version or `rotation.nextAt <= now`; pending first, then by nextAt. */
  | { due: 'rotation'; now: number; limit: number }
  /** Live secrets with `from < expiresAt <= until`, by (expiresAt, tenant, path), strictly after `after`. */
  | {
    due: 'expiry';
    from: number;
    until: number;
    after: { expiresAt: number; tenant: string; path: string } | null;
    limit: number;
  }
  /** Trashed secrets with `purgeAt <= now`, oldest purgeAt first. */
  | { due: 'purge'; now: number; limit: number }
  /** Pending approvals with `expiresAt <= now`, oldest first. */
  | { due: 'approval_expiry'; now: number; limit: number };

export type DueResult<Q extends DueQuery> = Q extends { due: 'approval_expiry' }
  ? Stored<'approval'>[]
  : Stored<'secret'>[];

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

export interface WriteVersionInput {
  /**
   * `create`: store `secret` (as given; `currentVersion = latestVersion = 1`) and `version` 1.
   *   MUST conflict if the tenant has this path, trashed or not.
   * `append`: `version` becomes current and latest; `patch` applied; `updatedAt`/`updatedBy` from
   *   the version; when `retirePreviousAt` is a number the replaced current version gets that `retiresAt`.
   * `stage`: `version` becomes latest and `pendingVersion`; current unchanged; MUST conflict if a
   *   pending version exists.
   * For `append` and `stage`: MUST conflict, changing nothing, if the secret is missing or trashed,
   * `version.version !== latestVersion + 1` or `currentVersion !== expectedCurrentVersion`. Of
   * concurrent writes of one number, exactly one wins.
   */
  mode: 'create' | 'append' | 'stage';
  /** Required for `create`; ignored otherwise. */
  secret?: SecretRecord;
  version: VersionRecord;
  /** Ignored for `create`. */
  expectedCurrentVersion: number;
  patch: SecretPatch;
  retirePreviousAt: number | null;
  event: AuditEventInput;
}

export interface StorageAdapter {
  /** Short name used to prefix wrapped errors ("memory", "postgres", "redis", "sqlite"). */
  readonly name: string;

  // ── Hot path ───────────────────────────────────────────────────────────────

  /**
   * The audited read, in one atomic call (one round trip for network stores):
   * 1. if `token` is set: the token record MUST exist in `tenant`, be unrevoked and unexpired at
   *    `now`, and when it has `usesRemaining` it MUST be > 0 and is decremented (its rev +1).
   *    Otherwise the outcome is token_revoked (also for an unknown id) / token_expired /
   *    token_exhausted. A use is consumed whenever this step passes, whatever the later outcome.
   * 2. not_found if the secret is missing or trashed, or has no such version;
   *    tier_exceeded if `maxTier` is set and the secret's tier ranks above it;
   *    expired if `expiresAt <= now`; retired if the version's `retiresAt <= now`.
   * 3. on ok: set `accessedAt = now` (no rev change) and return the secret (as updated) and the version.
   * 4. always: append `event` with `success = (outcome === 'ok')`, `error` = the outcome when not
   *    ok, `version` = the version served on ok, else the requested version (or null).
   * If appending the event fails, the call MUST fail and change nothing (fail-closed).
   */
  readSecret(input: ReadSecretInput): Promise<ReadResult>;

  /** The version write with its check-and-set and its event (see `WriteVersionInput`). Returns the secret as stored. */
  writeVersion(input: WriteVersionInput): Promise<Stored<'secret'>>;

  // ── Records ────────────────────────────────────────────────────────────────

  /** The records at these keys, in order; null where none is stored. One round trip for network stores. */
  getRecords(keys: RecordKey[]): Promise<Array<Stored | null>>;

  /**
   * The token or agent key whose `hash` is this credential hash, in any tenant; null if none.
   * Hashes are unique across the store (a commit storing a duplicate MUST conflict).
   */
  findCredential(hash: string): Promise<Stored<'token'> | Stored<'agent_key'> | null>;

  /**
   * Apply every write and append every event (in order, numbered after the tenant's last event),
   * all or nothing. A `put` or `check` with `expect: 'absent'` MUST find no record at its key; a
   * `put`, `delete` or `check` with a number MUST find the record at exactly that rev. A `put`
   * stores the record at rev `expect + 1` (1 when absent). If any condition fails, MUST
   * throw AgentVaultConflictError with `conflict: CommitConflict` (the first failing write) and
   * change nothing. Of concurrent commits whose conditions overlap, at most one succeeds per
   * record revision. Writes and events may span tenants only if every one names the same tenant
   * or `STORE_TENANT`. Returns the rev of every write after the commit, in order (0 for deletes and absent checks).
   * `commit({ writes: [], events })` is the plain audit append.
   */
  commit(input: { writes: RecordWrite[]; events: AuditEventInput[] }): Promise<number[]>;

  // ── Listings ───────────────────────────────────────────────────────────────

  /**
   * One page of the tenant's secrets, ordered by path, with the filters of `ListSecretsQuery`.
   * A page MUST neither skip nor repeat a path that existed, unchanged in its filters, for the
   * whole walk, even while other paths are written.
   */
  listSecrets(query: ListSecretsQuery): Promise<ListSecretsPage>;

  /** One page of the tenant's records of one kind, ordered by id, with the query's filters. */
  listRecords<K extends keyof RecordFilters>(query: ListRecordsQuery<K>): Promise<Stored<K>[]>;

  /** A page of one of maintenance's cross-tenant listings, at most `limit`. */
  listDue<Q extends DueQuery>(query: Q): Promise<DueResult<Q>>;

  /**
   * Wrapped data keys of every tenant, ordered by (tenant, path, version), strictly after `after`,
   * optionally only those whose `keyId` differs from `notKeyId`. For key-encryption-key rotation.
   */
  listWrappedKeys(query: {
    after: VersionKey | null;
    limit: number;
    notKeyId?: string;
  }): Promise<Array<VersionKey & { wrappedKey: WrappedKey; rev: number }>>;

  // ── Audit ──────────────────────────────────────────────────────────────────

  /** Events matching the query, in (timestamp, id) order, at most `limit`. */
  queryAudit(query: AuditQuery): Promise<AuditEvent[]>;

  /** The tenant's events with `seq > afterSeq`, by seq, at most `limit` (sealing and verification). */
  readAudit(query: { tenant: string; afterSeq: number; limit: number }): Promise<AuditEvent[]>;

  /** Release connections. The adapter is unusable afterwards. */
  close?(): Promise<void>;
}

/** The argument of a `StorageAdapter` method, so adapters name it without restating its shape. */
export type StorageInput<M extends keyof StorageAdapter> =
  Parameters<Extract<StorageAdapter[M], (...args: never[]) => unknown>>[0];

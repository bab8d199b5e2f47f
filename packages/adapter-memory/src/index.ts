/**
 * In-process storage for AgentVault. Each method does all its work synchronously before it
 * resolves, so every call is atomic with respect to every other call in the process — the same
 * guarantee the network adapters get from transactions and Lua scripts. State lives as long as
 * the adapter object; nothing is written anywhere else.
 */
import {
  type AgentKeyRecord,
  AgentVaultAuthError,
  AgentVaultConflictError,
  AgentVaultGoneError,
  AgentVaultNotFoundError,
  type ApprovalRecord,
  type AuditChainHead,
  type AuditDraft,
  type AuditEvent,
  type AuditEventInput,
  type AuditOutcome,
  type AuditQuery,
  auditLink,
  GENESIS_HASH,
  isUnderNamespace,
  type ListSecretsPage,
  type ListSecretsQuery,
  type ReadResult,
  type ReadSecretInput,
  type SecretPatch,
  type SecretRecord,
  type StorageAdapter,
  type StorageInput,
  type TokenRecord,
  type TokenUseOutcome,
  tierRank,
  type VersionInfo,
  type VersionKey,
  type VersionRecord,
  type WrappedKey,
} from '@agentvault/core';
import type { StorageBackdoor } from '@agentvault/core/testing';

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function copySecret(record: SecretRecord): SecretRecord {
  return { ...record, tags: { ...record.tags }, rotation: record.rotation && { ...record.rotation } };
}

function copyVersion(record: VersionRecord): VersionRecord {
  return {
    ...record,
    ciphertext: new Uint8Array(record.ciphertext),
    wrappedKey: { keyId: record.wrappedKey.keyId, ciphertext: new Uint8Array(record.wrappedKey.ciphertext) },
  };
}

function applyPatch(record: SecretRecord, patch: SecretPatch): void {
  if (patch.type !== undefined) record.type = patch.type;
  if (patch.tier !== undefined) record.tier = patch.tier;
  if (patch.description !== undefined) record.description = patch.description;
  if (patch.tags !== undefined) record.tags = { ...patch.tags };
  if (patch.expiresAt !== undefined) record.expiresAt = patch.expiresAt;
  if (patch.rotation !== undefined) record.rotation = patch.rotation && { ...patch.rotation };
}

/** Index of the first element of a sorted array that is >= `value` (code-unit order). */
function lowerBound(sorted: string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface AuditLog {
  chains: Map<number, AuditEvent[]>;
  /** Kept apart from the events, as a real store keeps its chain heads, so a removed tail shows. */
  heads: Map<number, AuditChainHead>;
  events: AuditEvent[];
}

interface StoredSecret {
  record: SecretRecord;
  /** Index `n - 1` holds version n. */
  versions: VersionRecord[];
}

/** Everything one tenant owns, so no lookup can reach across tenants. */
interface TenantData {
  secrets: Map<string, StoredSecret>;
  /** Every path (trashed included) in code-unit order, for prefix listing. */
  paths: string[];
  audit: AuditLog;
}

export interface MemoryAdapterOptions {
  /** Adapter name in wrapped errors. Default "memory". */
  name?: string;
}

export class MemoryAdapter implements StorageAdapter {
  readonly name: string;
  readonly #tenants = new Map<string, TenantData>();
  readonly #eventIds = new Set<string>();
  readonly #agentKeys = new Map<string, AgentKeyRecord>();
  readonly #agentKeyByHash = new Map<string, string>();
  readonly #tokens = new Map<string, TokenRecord>();
  readonly #tokenByHash = new Map<string, string>();
  readonly #approvals = new Map<string, ApprovalRecord>();
  readonly #leases = new Map<string, { owner: string; expiresAt: number }>();
  /** Expiry warnings sent: `tenant \0 path \0 expiresAt \0 kind`. */
  readonly #warnings = new Set<string>();

  constructor(options: MemoryAdapterOptions = {}) {
    this.name = options.name ?? 'memory';
  }

  // ── audit ──────────────────────────────────────────────────────────────────

  #tenant(tenant: string): TenantData {
    let data = this.#tenants.get(tenant);
    if (!data) {
      data = { secrets: new Map(), paths: [], audit: { chains: new Map(), heads: new Map(), events: [] } };
      this.#tenants.set(tenant, data);
    }
    return data;
  }

  #find(tenant: string, path: string): StoredSecret | undefined {
    return this.#tenants.get(tenant)?.secrets.get(path);
  }

  /** Throws before anything changes if the event cannot be appended; returns the commit step. */
  #prepareAudit(event: AuditEventInput): () => void {
    this.#assertNewEvent(event.id);
    return () => this.#commitAudit(event, event);
  }

  #assertNewEvent(id: string): void {
    if (this.#eventIds.has(id)) throw new AgentVaultConflictError(`audit event ${id} already exists`);
  }

  #commitAudit(event: AuditDraft, outcome: AuditOutcome): void {
    const log = this.#tenant(event.tenant).audit;
    let chain = log.chains.get(event.chain);
    if (!chain) {
      chain = [];
      log.chains.set(event.chain, chain);
    }
    const head = log.heads.get(event.chain) ?? { chain: event.chain, seq: 0, hash: GENESIS_HASH };
    const stored: AuditEvent = {
      id: event.id,
      tenant: event.tenant,
      chain: event.chain,
      type: event.type,
      path: event.path,
      actor: event.actor,
      actorDescription: event.actorDescription,
      ip: event.ip,
      userAgent: event.userAgent,
      timestamp: event.timestamp,
      details: event.details,
      success: outcome.success,
      error: outcome.error,
      version: outcome.version,
      seq: head.seq + 1,
      hash: auditLink(head.hash, event.digest, outcome),
    };
    log.heads.set(event.chain, { chain: event.chain, seq: stored.seq, hash: stored.hash });
    chain.push(stored);
    log.events.push(stored);
    this.#eventIds.add(event.id);
  }

  async appendAudit(event: AuditEventInput): Promise<void> {
    this.#prepareAudit(event)();
  }

  async queryAudit(query: AuditQuery): Promise<AuditEvent[]> {
    const log = this.#tenants.get(query.tenant)?.audit;
    if (!log) return [];
    const sign = query.order === 'asc' ? 1 : -1;
    const compare = (a: { timestamp: number; id: string }, b: { timestamp: number; id: string }) =>
      sign * (a.timestamp - b.timestamp || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const types = query.types ? new Set(query.types) : null;
    return log.events
      .filter(
        (e) =>
          (query.namespace === undefined || (e.path !== null && isUnderNamespace(e.path, query.namespace)))
          && (query.path === undefined || e.path === query.path)
          && (query.actor === undefined || e.actor === query.actor)
          && (types === null || types.has(e.type))
          && (query.since === undefined || e.timestamp >= query.since)
          && (query.until === undefined || e.timestamp < query.until)
          && (query.success === undefined || e.success === query.success)
          && (query.after === null || compare(e, query.after) > 0),
      )
      .sort(compare)
      .slice(0, query.limit)
      .map((e) => ({ ...e, details: { ...e.details } }));
  }

  async readAuditChain(query: StorageInput<'readAuditChain'>): Promise<AuditEvent[]> {
    const chain = this.#tenants.get(query.tenant)?.audit.chains.get(query.chain) ?? [];
    return chain
      .filter((e) => e.seq > query.afterSeq)
      .slice(0, query.limit)
      .map((e) => ({ ...e, details: { ...e.details } }));
  }

  async auditHeads(tenant: string): Promise<AuditChainHead[]> {
    return [...(this.#tenants.get(tenant)?.audit.heads.values() ?? [])].map((head) => ({ ...head }));
  }

  // ── secrets ────────────────────────────────────────────────────────────────

  #live(tenant: string, path: string): StoredSecret {
    const stored = this.#find(tenant, path);
    if (!stored || stored.record.trashedAt !== null)
      throw new AgentVaultNotFoundError(`secret not found: '${path}'`, { path });
    return stored;
  }

  async createSecret(input: StorageInput<'createSecret'>): Promise<void> {
    const { secret, version } = input;
    const data = this.#tenant(secret.tenant);
    if (data.secrets.has(secret.path))
      throw new AgentVaultConflictError(`secret already exists: '${secret.path}'`);
    const commitAudit = this.#prepareAudit(input.event);
    data.secrets.set(secret.path, { record: copySecret(secret), versions: [copyVersion(version)] });
    data.paths.splice(lowerBound(data.paths, secret.path), 0, secret.path);
    commitAudit();
  }

  async appendVersion(input: StorageInput<'appendVersion'>): Promise<SecretRecord> {
    const { version } = input;
    const { record, versions } = this.#live(version.tenant, version.path);
    if (
      version.version !== record.latestVersion + 1
      || record.currentVersion !== input.expectedCurrentVersion
    ) {
      throw new AgentVaultConflictError(`secret '${version.path}' changed since it was read`);
    }
    const commitAudit = this.#prepareAudit(input.event);
    if (input.retirePreviousAt !== null)
      versions[record.currentVersion - 1]!.retiresAt = input.retirePreviousAt;
    versions.push(copyVersion(version));
    applyPatch(record, input.patch);
    record.currentVersion = version.version;
    record.latestVersion = version.version;
    record.updatedAt = version.createdAt;
    record.updatedBy = version.createdBy;
    commitAudit();
    return copySecret(record);
  }

  async updateSecretMetadata(input: StorageInput<'updateSecretMetadata'>): Promise<SecretRecord> {
    const { record } = this.#live(input.tenant, input.path);
    if (input.expectedCurrentVersion !== null && record.currentVersion !== input.expectedCurrentVersion) {
      throw new AgentVaultConflictError(
        `secret '${input.path}' is not at version ${input.expectedCurrentVersion}`,
      );
    }
    const commitAudit = this.#prepareAudit(input.event);
    applyPatch(record, input.patch);
    record.updatedAt = input.updatedAt;
    record.updatedBy = input.updatedBy;
    commitAudit();
    return copySecret(record);
  }

  async rollbackSecret(input: StorageInput<'rollbackSecret'>): Promise<SecretRecord> {
    const { record, versions } = this.#live(input.tenant, input.path);
    const target = versions[input.toVersion - 1];
    if (!target)
      throw new AgentVaultNotFoundError(`secret '${input.path}' has no version ${input.toVersion}`, {
        path: input.path,
      });
    if (target.retiresAt !== null && target.retiresAt <= input.now) {
      throw new AgentVaultGoneError(`version ${input.toVersion} of '${input.path}' was retired`, {
        path: input.path,
      });
    }
    if (record.pendingVersion === input.toVersion) {
      throw new AgentVaultConflictError(`version ${input.toVersion} of '${input.path}' is pending; only a promotion makes it current`);
    }
    if (input.expectedCurrentVersion !== null && record.currentVersion !== input.expectedCurrentVersion) {
      throw new AgentVaultConflictError(
        `secret '${input.path}' is not at version ${input.expectedCurrentVersion}`,
      );
    }
    const commitAudit = this.#prepareAudit(input.event);
    record.currentVersion = input.toVersion;
    record.updatedAt = input.now;
    record.updatedBy = input.by;
    commitAudit();
    return copySecret(record);
  }

  async getSecret(tenant: string, path: string): Promise<SecretRecord | null> {
    const stored = this.#find(tenant, path);
    return stored ? copySecret(stored.record) : null;
  }

  #useToken(
    tenant: string,
    id: string,
    now: number,
  ): { outcome: TokenUseOutcome; token: TokenRecord | null } {
    const token = this.#tokens.get(id);
    if (!token || token.tenant !== tenant || token.revokedAt !== null)
      return { outcome: 'token_revoked', token: null };
    if (token.expiresAt <= now) return { outcome: 'token_expired', token: null };
    if (token.usesRemaining !== null) {
      if (token.usesRemaining <= 0) return { outcome: 'token_exhausted', token: null };
      token.usesRemaining -= 1;
    }
    return { outcome: 'ok', token: { ...token } };
  }

  async readSecret(input: ReadSecretInput): Promise<ReadResult> {
    // Checked before the token use, so a read whose event cannot be appended changes nothing.
    this.#assertNewEvent(input.event.id);
    const requested = input.version;
    const refuse = (outcome: Exclude<ReadResult['outcome'], 'ok'>): ReadResult => {
      this.#commitAudit(input.event, { success: false, error: outcome, version: requested });
      return { outcome };
    };
    if (input.token) {
      const used = this.#useToken(input.tenant, input.token.id, input.now);
      if (used.outcome !== 'ok') return refuse(used.outcome);
    }
    const stored = this.#find(input.tenant, input.path);
    if (!stored || stored.record.trashedAt !== null) return refuse('not_found');
    const { record } = stored;
    const number = requested ?? record.currentVersion;
    const version = stored.versions[number - 1];
    if (!version) return refuse('not_found');
    if (input.maxTier !== null && tierRank(record.tier) > tierRank(input.maxTier))
      return refuse('tier_exceeded');
    if (record.expiresAt !== null && record.expiresAt <= input.now) return refuse('expired');
    if (version.retiresAt !== null && version.retiresAt <= input.now) return refuse('retired');
    record.accessedAt = input.now;
    this.#commitAudit(input.event, { success: true, error: null, version: number });
    return { outcome: 'ok', secret: copySecret(record), version: { ...version } };
  }

  async listSecrets(query: ListSecretsQuery): Promise<ListSecretsPage> {
    const data = this.#tenants.get(query.tenant);
    if (!data) return { items: [], total: 0 };
    const { paths } = data;
    const low = query.namespace === '' ? '' : `${query.namespace}/`;
    // '0' follows '/' in code-unit order, so this bounds every path under the namespace.
    const high = query.namespace === '' ? null : `${query.namespace}0`;
    const tiers = query.tiers ? new Set(query.tiers) : null;
    const types = query.types ? new Set(query.types) : null;
    const tags = query.tags ? Object.entries(query.tags) : [];
    const items: SecretRecord[] = [];
    let total = 0;
    for (let i = lowerBound(paths, low); i < paths.length; i++) {
      const path = paths[i]!;
      if (high !== null && path >= high) break;
      const { record } = data.secrets.get(path)!;
      if ((record.trashedAt !== null) !== query.trashed) continue;
      if (tiers && !tiers.has(record.tier)) continue;
      if (types && !types.has(record.type)) continue;
      if (!tags.every(([name, value]) => record.tags[name] === value)) continue;
      total++;
      if ((query.afterPath === null || path > query.afterPath) && items.length < query.limit)
        items.push(copySecret(record));
    }
    return { items, total };
  }

  async listVersions(tenant: string, path: string): Promise<VersionInfo[]> {
    return (this.#find(tenant, path)?.versions ?? []).map(({ ciphertext: _c, wrappedKey, ...info }) => ({
      ...info,
      keyId: wrappedKey.keyId,
    }));
  }

  async trashSecret(input: StorageInput<'trashSecret'>): Promise<void> {
    const { record } = this.#live(input.tenant, input.path);
    const commitAudit = this.#prepareAudit(input.event);
    record.trashedAt = input.now;
    record.purgeAt = input.purgeAt;
    commitAudit();
  }

  async restoreSecret(input: StorageInput<'restoreSecret'>): Promise<SecretRecord> {
    const record = this.#find(input.tenant, input.path)?.record;
    if (!record || record.trashedAt === null) {
      throw new AgentVaultNotFoundError(`no trashed secret at '${input.path}'`, { path: input.path });
    }
    const commitAudit = this.#prepareAudit(input.event);
    record.trashedAt = null;
    record.purgeAt = null;
    record.updatedAt = input.now;
    record.updatedBy = input.by;
    commitAudit();
    return copySecret(record);
  }

  async destroySecret(input: StorageInput<'destroySecret'>): Promise<void> {
    const data = this.#tenants.get(input.tenant);
    const stored = data?.secrets.get(input.path);
    const { trashedAt, purgeAt } = stored?.record ?? { trashedAt: null, purgeAt: null };
    const due = input.purgeDueBy === undefined || (trashedAt !== null && purgeAt !== null && purgeAt <= input.purgeDueBy);
    if (!data || !stored || !due) {
      throw new AgentVaultNotFoundError(`secret not found: '${input.path}'`, { path: input.path });
    }
    const commitAudit = this.#prepareAudit(input.event);
    for (const version of stored.versions) {
      version.ciphertext.fill(0);
      version.wrappedKey.ciphertext.fill(0);
    }
    data.secrets.delete(input.path);
    data.paths.splice(lowerBound(data.paths, input.path), 1);
    commitAudit();
  }

  async stageVersion(input: StorageInput<'stageVersion'>): Promise<SecretRecord> {
    const { version } = input;
    const { record, versions } = this.#live(version.tenant, version.path);
    if (
      record.pendingVersion !== null
      || version.version !== record.latestVersion + 1
      || record.currentVersion !== input.expectedCurrentVersion
    ) {
      throw new AgentVaultConflictError(`secret '${version.path}' changed or has a pending version`);
    }
    const commitAudit = this.#prepareAudit(input.event);
    versions.push(copyVersion(version));
    record.latestVersion = version.version;
    record.pendingVersion = version.version;
    commitAudit();
    return copySecret(record);
  }

  async promoteVersion(input: StorageInput<'promoteVersion'>): Promise<SecretRecord> {
    const stored = this.#find(input.tenant, input.path);
    const record = stored?.record;
    if (!stored || !record || record.pendingVersion !== input.version || record.latestVersion !== input.version) {
      throw new AgentVaultConflictError(`version ${input.version} of '${input.path}' is not the pending version`);
    }
    const commitAudit = this.#prepareAudit(input.event);
    stored.versions[record.currentVersion - 1]!.retiresAt = input.retirePreviousAt;
    record.currentVersion = input.version;
    record.pendingVersion = null;
    record.rotation = input.rotation && { ...input.rotation };
    record.updatedAt = input.now;
    record.updatedBy = input.by;
    commitAudit();
    return copySecret(record);
  }

  async discardPending(input: StorageInput<'discardPending'>): Promise<SecretRecord> {
    const stored = this.#find(input.tenant, input.path);
    if (!stored || stored.record.pendingVersion !== input.version) {
      throw new AgentVaultConflictError(`version ${input.version} of '${input.path}' is not the pending version`);
    }
    const commitAudit = this.#prepareAudit(input.event);
    stored.versions[input.version - 1]!.retiresAt = input.now;
    stored.record.pendingVersion = null;
    stored.record.rotation = input.rotation && { ...input.rotation };
    commitAudit();
    return copySecret(stored.record);
  }

  async acquireLease(input: StorageInput<'acquireLease'>): Promise<boolean> {
    const lease = this.#leases.get(input.name);
    if (lease && lease.owner !== input.owner && lease.expiresAt > input.now) return false;
    this.#leases.set(input.name, { owner: input.owner, expiresAt: input.now + input.ttlMs });
    return true;
  }

  async releaseLease(input: StorageInput<'releaseLease'>): Promise<void> {
    if (this.#leases.get(input.name)?.owner === input.owner) this.#leases.delete(input.name);
  }

  #allLive(): SecretRecord[] {
    return [...this.#tenants.values()].flatMap((t) => [...t.secrets.values()].map((s) => s.record));
  }

  async listDueRotations(query: StorageInput<'listDueRotations'>): Promise<SecretRecord[]> {
    const rank = (r: SecretRecord) => (r.pendingVersion !== null ? -Infinity : r.rotation!.nextAt);
    return this.#allLive()
      .filter((r) => r.trashedAt === null)
      .filter((r) => r.pendingVersion !== null || (r.rotation !== null && r.rotation.nextAt <= query.now))
      .sort((a, b) => rank(a) - rank(b))
      .slice(0, query.limit)
      .map(copySecret);
  }

  async listExpiringSecrets(query: StorageInput<'listExpiringSecrets'>): Promise<SecretRecord[]> {
    type Position = { expiresAt: number | null; tenant: string; path: string };
    const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const compare = (a: Position, b: Position) => a.expiresAt! - b.expiresAt! || text(a.tenant, b.tenant) || text(a.path, b.path);
    return this.#allLive()
      .filter((r) => r.trashedAt === null && r.expiresAt !== null && r.expiresAt > query.from && r.expiresAt <= query.until)
      .filter((r) => query.after === null || compare(r, query.after) > 0)
      .sort(compare)
      .slice(0, query.limit)
      .map(copySecret);
  }

  async listPurgeableSecrets(query: StorageInput<'listPurgeableSecrets'>): Promise<SecretRecord[]> {
    return this.#allLive()
      .filter((r) => r.trashedAt !== null && r.purgeAt !== null && r.purgeAt <= query.now)
      .sort((a, b) => a.purgeAt! - b.purgeAt!)
      .slice(0, query.limit)
      .map(copySecret);
  }

  async claimExpiryWarning(input: StorageInput<'claimExpiryWarning'>): Promise<boolean> {
    const id = `${input.tenant}\u0000${input.path}\u0000${input.expiresAt}\u0000${input.kind}`;
    if (this.#warnings.has(id)) return false;
    const commitAudit = this.#prepareAudit(input.event);
    this.#warnings.add(id);
    commitAudit();
    return true;
  }

  async listWrappedKeys(query: StorageInput<'listWrappedKeys'>): Promise<Array<VersionKey & { wrappedKey: WrappedKey }>> {
    const after = query.after;
    const found: Array<VersionKey & { wrappedKey: WrappedKey }> = [];
    for (const tenant of [...this.#tenants.keys()].sort()) {
      if (after && tenant < after.tenant) continue;
      const data = this.#tenants.get(tenant)!;
      for (const path of data.paths) {
        if (after && tenant === after.tenant && path < after.path) continue;
        for (const version of data.secrets.get(path)!.versions) {
          if (after && tenant === after.tenant && path === after.path && version.version <= after.version)
            continue;
          if (query.notKeyId !== undefined && version.wrappedKey.keyId === query.notKeyId) continue;
          found.push({
            tenant,
            path,
            version: version.version,
            wrappedKey: {
              keyId: version.wrappedKey.keyId,
              ciphertext: new Uint8Array(version.wrappedKey.ciphertext),
            },
          });
          if (found.length === query.limit) return found;
        }
      }
    }
    return found;
  }

  async replaceWrappedKey(input: StorageInput<'replaceWrappedKey'>): Promise<boolean> {
    const version = this.#find(input.tenant, input.path)?.versions[input.version - 1];
    if (!version) return false;
    if (
      version.wrappedKey.keyId !== input.expected.keyId
      || !bytesEqual(version.wrappedKey.ciphertext, input.expected.ciphertext)
    )
      return false;
    version.wrappedKey = { keyId: input.next.keyId, ciphertext: new Uint8Array(input.next.ciphertext) };
    return true;
  }

  // ── agent keys ─────────────────────────────────────────────────────────────

  async createAgentKey(input: StorageInput<'createAgentKey'>): Promise<void> {
    if (this.#agentKeys.has(input.key.id) || this.#agentKeyByHash.has(input.key.hash)) {
      throw new AgentVaultConflictError('agent key already exists');
    }
    const commitAudit = this.#prepareAudit(input.event);
    this.#agentKeys.set(input.key.id, { ...input.key, roles: [...input.key.roles] });
    this.#agentKeyByHash.set(input.key.hash, input.key.id);
    commitAudit();
  }

  async findAgentKey(hash: string): Promise<AgentKeyRecord | null> {
    const id = this.#agentKeyByHash.get(hash);
    const record = id === undefined ? undefined : this.#agentKeys.get(id);
    return record ? { ...record, roles: [...record.roles] } : null;
  }

  async listAgentKeys(tenant: string): Promise<AgentKeyRecord[]> {
    return [...this.#agentKeys.values()]
      .filter((k) => k.tenant === tenant)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
      .map((k) => ({ ...k, roles: [...k.roles] }));
  }

  async revokeAgentKey(input: StorageInput<'revokeAgentKey'>): Promise<AgentKeyRecord> {
    const record = this.#agentKeys.get(input.id);
    if (!record || record.tenant !== input.tenant)
      throw new AgentVaultNotFoundError(`agent key not found: '${input.id}'`);
    const commitAudit = this.#prepareAudit(input.event);
    record.revokedAt ??= input.now;
    commitAudit();
    return { ...record, roles: [...record.roles] };
  }

  // ── tokens ─────────────────────────────────────────────────────────────────

  async createToken(input: StorageInput<'createToken'>): Promise<void> {
    const { token } = input;
    if (this.#tokens.has(token.id) || this.#tokenByHash.has(token.hash))
      throw new AgentVaultConflictError('token already exists');
    if (token.parentId !== null) {
      const parent = this.#tokens.get(token.parentId);
      if (!parent || parent.tenant !== token.tenant || parent.revokedAt !== null) {
        throw new AgentVaultAuthError('The parent token has been revoked');
      }
    }
    const commitAudit = this.#prepareAudit(input.event);
    this.#tokens.set(token.id, { ...token });
    this.#tokenByHash.set(token.hash, token.id);
    commitAudit();
  }

  async findToken(hash: string): Promise<TokenRecord | null> {
    const id = this.#tokenByHash.get(hash);
    const record = id === undefined ? undefined : this.#tokens.get(id);
    return record ? { ...record } : null;
  }

  async getToken(tenant: string, id: string): Promise<TokenRecord | null> {
    const record = this.#tokens.get(id);
    return record && record.tenant === tenant ? { ...record } : null;
  }

  async useToken(input: StorageInput<'useToken'>): Promise<{ outcome: TokenUseOutcome; token: TokenRecord | null }> {
    return this.#useToken(input.tenant, input.id, input.now);
  }

  async revokeToken(input: StorageInput<'revokeToken'>): Promise<TokenRecord> {
    const record = this.#tokens.get(input.id);
    if (!record || record.tenant !== input.tenant)
      throw new AgentVaultNotFoundError(`token not found: '${input.id}'`);
    const commitAudit = this.#prepareAudit(input.event);
    record.revokedAt ??= input.now;
    commitAudit();
    return { ...record };
  }

  async listTokens(query: StorageInput<'listTokens'>): Promise<TokenRecord[]> {
    return [...this.#tokens.values()]
      .filter(
        (t) =>
          t.tenant === query.tenant
          && (query.parentId === undefined || t.parentId === query.parentId)
          && (query.activeAt === undefined
            || (t.revokedAt === null
              && t.expiresAt > query.activeAt
              && (t.usesRemaining === null || t.usesRemaining > 0)))
            && (query.afterId === null || t.id > query.afterId),
      )
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, query.limit)
      .map((t) => ({ ...t }));
  }

  // ── approvals ──────────────────────────────────────────────────────────────

  #copyApproval(record: ApprovalRecord): ApprovalRecord {
    return { ...record, request: { ...record.request }, decisions: record.decisions.map((d) => ({ ...d })) };
  }

  async createApproval(input: StorageInput<'createApproval'>): Promise<void> {
    if (this.#approvals.has(input.approval.id))
      throw new AgentVaultConflictError('approval request already exists');
    const commitAudit = this.#prepareAudit(input.event);
    this.#approvals.set(input.approval.id, this.#copyApproval(input.approval));
    commitAudit();
  }

  async getApproval(tenant: string, id: string): Promise<ApprovalRecord | null> {
    const record = this.#approvals.get(id);
    return record && record.tenant === tenant ? this.#copyApproval(record) : null;
  }

  async decideApproval(input: StorageInput<'decideApproval'>): Promise<ApprovalRecord> {
    const record = this.#approvals.get(input.id);
    if (!record || record.tenant !== input.tenant)
      throw new AgentVaultNotFoundError(`approval request not found: '${input.id}'`);
    if (record.status !== 'pending')
      throw new AgentVaultConflictError(`approval request is already ${record.status}`);
    if (record.expiresAt <= input.now) throw new AgentVaultConflictError('approval request has expired');
    if (record.decisions.some((d) => d.by === input.decision.by))
      throw new AgentVaultConflictError('this approver already decided');
    const commitAudit = this.#prepareAudit(input.event);
    record.decisions.push({ ...input.decision });
    const approvals = record.decisions.filter((d) => d.decision === 'approve').length;
    if (input.decision.decision === 'deny') record.status = 'denied';
    else if (approvals >= record.requiredApprovals) record.status = 'approved';
    if (record.status !== 'pending') record.decidedAt = input.now;
    commitAudit();
    return this.#copyApproval(record);
  }

  async claimApproval(input: StorageInput<'claimApproval'>): Promise<ApprovalRecord> {
    const record = this.#approvals.get(input.id);
    if (!record || record.tenant !== input.tenant)
      throw new AgentVaultNotFoundError(`approval request not found: '${input.id}'`);
    if (record.status !== 'approved')
      throw new AgentVaultConflictError(`approval request is ${record.status}`);
    if (record.claimedAt !== null) throw new AgentVaultConflictError('the token was already collected');
    if (this.#tokens.has(input.token.id) || this.#tokenByHash.has(input.token.hash))
      throw new AgentVaultConflictError('token already exists');
    const commitAudit = this.#prepareAudit(input.event);
    record.claimedAt = input.now;
    record.tokenId = input.token.id;
    this.#tokens.set(input.token.id, { ...input.token });
    this.#tokenByHash.set(input.token.hash, input.token.id);
    commitAudit();
    return this.#copyApproval(record);
  }

  async expireApproval(input: StorageInput<'expireApproval'>): Promise<ApprovalRecord> {
    const record = this.#approvals.get(input.id);
    if (!record || record.tenant !== input.tenant) throw new AgentVaultNotFoundError(`approval request not found: '${input.id}'`);
    if (record.status !== 'pending' || record.expiresAt > input.now) {
      throw new AgentVaultConflictError('approval request is not pending past its deadline');
    }
    const commitAudit = this.#prepareAudit(input.event);
    record.status = 'expired';
    commitAudit();
    return this.#copyApproval(record);
  }

  async listExpiredApprovals(query: StorageInput<'listExpiredApprovals'>): Promise<ApprovalRecord[]> {
    return [...this.#approvals.values()]
      .filter((a) => a.status === 'pending' && a.expiresAt <= query.now)
      .sort((a, b) => a.expiresAt - b.expiresAt)
      .slice(0, query.limit)
      .map((a) => this.#copyApproval(a));
  }

  async listApprovals(query: StorageInput<'listApprovals'>): Promise<ApprovalRecord[]> {
    return [...this.#approvals.values()]
      .filter(
        (a) =>
          a.tenant === query.tenant
          && (query.status === undefined || a.status === query.status)
          && (query.afterId === null || a.id > query.afterId),
      )
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, query.limit)
      .map((a) => this.#copyApproval(a));
  }

  // ── backdoor (tests) ───────────────────────────────────────────────────────

  /**
   * Direct access to what is stored, bypassing every rule, for the conformance suite's checks
   * (no plaintext stored) and tamper tests. Never needed by an application.
   */
  backdoor(): StorageBackdoor {
    return {
      dump: async () =>
        JSON.stringify(
          {
            secrets: [...this.#tenants.values()].flatMap((t) => [...t.secrets.values()].map((s) => s.record)),
            versions: [...this.#tenants.values()].flatMap((t) =>
              [...t.secrets.values()].flatMap((s) => s.versions),
            ),
            audit: [...this.#tenants.values()].flatMap((t) => t.audit.events),
            agentKeys: [...this.#agentKeys.values()],
            tokens: [...this.#tokens.values()],
            approvals: [...this.#approvals.values()],
          },
          (_key, value: unknown) =>
            value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value,
        ),
      readVersion: async ({ tenant, path, version }) => {
        const stored = this.#find(tenant, path)?.versions[version - 1];
        return stored ? copyVersion(stored) : null;
      },
      writeVersion: async (record) => {
        const versions = this.#find(record.tenant, record.path)?.versions;
        if (!versions?.[record.version - 1]) throw new Error('backdoor: no such version row');
        versions[record.version - 1] = copyVersion(record);
      },
      patchAuditEvent: async (tenant, id, patch) => {
        const event = this.#tenants.get(tenant)?.audit.events.find((e) => e.id === id);
        if (!event) throw new Error('backdoor: no such audit event');
        Object.assign(event, patch);
      },
      deleteAuditEvent: async (tenant, id) => {
        const log = this.#tenants.get(tenant)?.audit;
        if (!log) return;
        log.events = log.events.filter((e) => e.id !== id);
        for (const [chain, events] of log.chains)
          log.chains.set(
            chain,
            events.filter((e) => e.id !== id),
          );
      },
    };
  }
}

/** In-process storage; state lives as long as the returned adapter. */
export function memoryAdapter(options: MemoryAdapterOptions = {}): MemoryAdapter {
  return new MemoryAdapter(options);
}

/**
 * In-process storage for AgentVault (storage contract v2). Each method does all its work
 * synchronously before it resolves, so every call is atomic with respect to every other call in
 * the process — the guarantee network adapters get from transactions and scripts. It decides no
 * rule: the audited read's outcome comes from core's `readOutcome`, and everything else is the
 * contract's conditions (revisions, absence, check-and-set). State lives as long as the adapter.
 */
import {
  AgentVaultConflictError,
  applySecretPatch,
  type AuditEvent,
  type AuditEventInput,
  type AuditOutcome,
  type AuditQuery,
  commitConflictError,
  consumesUse,
  type DueQuery,
  type DueResult,
  isUnderNamespace,
  type ListRecordsQuery,
  type ListSecretsPage,
  type ListSecretsQuery,
  type ReadResult,
  type ReadSecretInput,
  type RecordFilters,
  type RecordKey,
  type RecordKind,
  type RecordWrite,
  readOutcome,
  recordKey,
  type SecretRecord,
  type StorageAdapter,
  STORE_TENANT,
  type StorageInput,
  type Stored,
  type VersionKey,
  type VersionRecord,
  type WrappedKey,
} from '@agentvault/core';
import type { StorageBackdoor } from '@agentvault/core/testing';
import { TagIndex, TIER } from './tag-index';

const clone = <T>(value: T): T => structuredClone(value);
const copyEvent = <E extends AuditEventInput>(e: E): E => ({ ...e, details: { ...e.details } });
// The hot read copies by hand: a tenth of structuredClone's cost.
const copySecret = (s: SecretRecord): SecretRecord => ({ ...s, tags: { ...s.tags }, rotation: s.rotation && { ...s.rotation } });
const copyVersion = (v: VersionRecord): VersionRecord =>
  ({ ...v, ciphertext: v.ciphertext.slice(), wrappedKey: { ...v.wrappedKey, ciphertext: v.wrappedKey.ciphertext.slice() } });
const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

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

/** A record's key within its tenant and kind. */
function localKey(key: RecordKey): string {
  return key.kind === 'secret' ? key.path : key.kind === 'version' ? `${key.path}\u0000${key.version}` : key.id;
}

/** Everything one tenant owns, so no lookup can reach across tenants. */
class TenantData {
  readonly records = new Map<RecordKind, Map<string, Stored>>();
  /** Every secret path (trashed included) in code-unit order, for prefix listing. */
  readonly paths: string[] = [];
  readonly tags = new TagIndex();
  /** Events in append order (seq order unless the backdoor rewrote them). */
  events: AuditEvent[] = [];
  lastSeq = 0;
  /** Set when the backdoor rewrote the trail: seq n may no longer sit at index n - 1. */
  tampered = false;

  kind<K extends RecordKind>(kind: K): Map<string, Stored<K>> {
    let map = this.records.get(kind);
    if (!map) this.records.set(kind, (map = new Map()));
    return map as Map<string, Stored<K>>;
  }

  get = (key: RecordKey): Stored | undefined => this.kind(key.kind).get(localKey(key));
  secret = (path: string): Stored<'secret'> | undefined => this.kind('secret').get(path);
  version = (path: string, n: number): Stored<'version'> | undefined => this.kind('version').get(`${path}\u0000${n}`);
}

export interface MemoryAdapterOptions {
  /** Adapter name in wrapped errors. Default "memory". */
  name?: string;
}

export class MemoryAdapter implements StorageAdapter {
  readonly name: string;
  readonly #tenants = new Map<string, TenantData>();
  readonly #eventIds = new Set<string>();
  /** Credential hash → where its token or agent key is stored. */
  readonly #credentials = new Map<string, { tenant: string; kind: 'token' | 'agent_key'; id: string }>();

  constructor(options: MemoryAdapterOptions = {}) {
    this.name = options.name ?? 'memory';
  }

  #tenant(tenant: string): TenantData {
    return this.#tenants.get(tenant) ?? this.#tenants.set(tenant, new TenantData()).get(tenant)!;
  }

  // ── writing (callers have checked every condition first) ──────────────────

  #assertNewEvents(events: Array<{ id: string }>): void {
    const ids = new Set(events.map((e) => e.id));
    const taken = events.find((e) => this.#eventIds.has(e.id)) ?? (ids.size < events.length ? events[0] : undefined);
    if (taken) throw new AgentVaultConflictError(`audit event ${taken.id} already exists`);
  }

  #append(event: AuditEventInput): void {
    const data = this.#tenant(event.tenant);
    data.events.push({ ...copyEvent(event), seq: ++data.lastSeq });
    this.#eventIds.add(event.id);
  }

  #put(kind: RecordKind, record: Stored['record'], rev: number): void {
    const key = recordKey(kind, record as never);
    const data = this.#tenant(key.tenant);
    const [map, local] = [data.kind(kind), localKey(key)];
    if (kind === 'secret') {
      if (!map.has(local)) data.paths.splice(lowerBound(data.paths, local), 0, local);
      data.tags.update(map.get(local)?.record as SecretRecord | undefined, record as SecretRecord);
    }
    if (kind === 'token' || kind === 'agent_key') {
      const { hash, id } = record as { hash: string; id: string };
      this.#credentials.set(hash, { tenant: key.tenant, kind, id });
    }
    map.set(local, { kind, record: clone(record), rev } as Stored);
  }

  #delete(key: RecordKey): void {
    const [data, local] = [this.#tenant(key.tenant), localKey(key)];
    const stored = data.kind(key.kind).get(local);
    if (!stored) return;
    data.kind(key.kind).delete(local);
    if (key.kind === 'secret') {
      data.paths.splice(lowerBound(data.paths, local), 1);
      data.tags.update(stored.record as SecretRecord, undefined);
    }
    if (key.kind === 'version') {
      // Crypto-shred what this process held, not only the reference to it.
      const version = stored.record as VersionRecord;
      version.ciphertext.fill(0);
      version.wrappedKey.ciphertext.fill(0);
    }
    if (key.kind === 'token' || key.kind === 'agent_key')
      this.#credentials.delete((stored.record as { hash: string }).hash);
  }

  // ── hot path ───────────────────────────────────────────────────────────────

  async readSecret(input: ReadSecretInput): Promise<ReadResult> {
    // Checked before anything changes, so a read whose event cannot be appended changes nothing.
    this.#assertNewEvents([input.event]);
    const data = this.#tenant(input.tenant);
    const token = input.token ? data.kind('token').get(input.token.id) : undefined;
    const secret = data.secret(input.path);
    const number = input.version ?? secret?.record.currentVersion ?? 0;
    const version = secret ? data.version(input.path, number) : undefined;
    const outcome = readOutcome({
      now: input.now,
      maxTier: input.maxTier,
      token: input.token ? (token?.record ?? null) : undefined,
      secret: secret?.record ?? null,
      version: version?.record ?? null,
    });
    if (token && consumesUse(outcome) && token.record.usesRemaining !== null) {
      token.record.usesRemaining -= 1;
      token.rev += 1;
    }
    const result: AuditOutcome = outcome === 'ok'
      ? { success: true, error: null, version: number }
      : { success: false, error: outcome, version: input.version };
    this.#append({ ...input.event, ...result });
    if (outcome !== 'ok') return { outcome };
    secret!.record.accessedAt = input.now;
    return { outcome, secret: copySecret(secret!.record), version: copyVersion(version!.record) };
  }

  async writeVersion(input: StorageInput<'writeVersion'>): Promise<Stored<'secret'>> {
    const { version } = input;
    const data = this.#tenant(version.tenant);
    const stored = data.secret(version.path);
    this.#assertNewEvents([input.event]);
    if (input.mode === 'create') {
      if (stored || !input.secret) throw new AgentVaultConflictError(`secret already exists: '${version.path}'`);
      const secret = { ...input.secret, currentVersion: 1, latestVersion: 1 };
      this.#put('secret', secret, 1);
      this.#put('version', version, 1);
      this.#append(input.event);
      return { kind: 'secret', record: clone(secret), rev: 1 };
    }
    const current = stored?.record;
    if (
      !stored
      || !current
      || current.trashedAt !== null
      || version.version !== current.latestVersion + 1
      || current.currentVersion !== input.expectedCurrentVersion
      || (input.mode === 'stage' && current.pendingVersion !== null)
    ) {
      throw new AgentVaultConflictError(`secret '${version.path}' changed since it was read`);
    }
    let next: SecretRecord;
    if (input.mode === 'stage') {
      next = { ...current, latestVersion: version.version, pendingVersion: version.version };
    } else {
      const replaced = data.version(version.path, current.currentVersion);
      if (input.retirePreviousAt !== null && replaced) {
        replaced.record.retiresAt = input.retirePreviousAt;
        replaced.rev += 1;
      }
      next = {
        ...applySecretPatch(current, input.patch),
        currentVersion: version.version,
        latestVersion: version.version,
        updatedAt: version.createdAt,
        updatedBy: version.createdBy,
      };
    }
    this.#put('secret', next, stored.rev + 1);
    this.#put('version', version, 1);
    this.#append(input.event);
    return { kind: 'secret', record: clone(next), rev: stored.rev + 1 };
  }

  // ── records ────────────────────────────────────────────────────────────────

  async getRecords(keys: RecordKey[]): Promise<Array<Stored | null>> {
    return keys.map((key) => {
      const stored = this.#tenants.get(key.tenant)?.get(key);
      return stored ? clone(stored) : null;
    });
  }

  async findCredential(hash: string): Promise<Stored<'token'> | Stored<'agent_key'> | null> {
    const where = this.#credentials.get(hash);
    const stored = where && this.#tenants.get(where.tenant)?.kind(where.kind).get(where.id);
    return stored ? (clone(stored) as Stored<'token'> | Stored<'agent_key'>) : null;
  }

  async commit(input: { writes: RecordWrite[]; events: AuditEventInput[] }): Promise<number[]> {
    const { writes, events } = input;
    const keys = writes.map((w) => (w.op === 'put' ? recordKey(w.kind, w.record as never) : w.key));
    const tenants = new Set([...keys.map((k) => k.tenant), ...events.map((e) => e.tenant)]);
    tenants.delete(STORE_TENANT);
    if (tenants.size > 1) throw new Error('memory: a commit may not span tenants');
    const revs: number[] = [];
    keys.forEach((key, index) => {
      const write = writes[index]!;
      const stored = this.#tenants.get(key.tenant)?.get(key);
      const fits = write.expect === 'absent' ? stored === undefined : stored?.rev === write.expect;
      if (!fits) throw commitConflictError({ index, key });
      if (write.op === 'put' && (write.kind === 'token' || write.kind === 'agent_key')) {
        const owner = this.#credentials.get((write.record as { hash: string }).hash);
        if (owner && (owner.tenant !== key.tenant || owner.id !== localKey(key) || owner.kind !== write.kind))
          throw commitConflictError({ index, key }, 'memory: credential hash already stored');
      }
      revs.push(write.op === 'put' ? (write.expect === 'absent' ? 1 : write.expect + 1) : write.op === 'check' && stored ? stored.rev : 0);
    });
    this.#assertNewEvents(events);
    writes.forEach((write, index) => {
      if (write.op === 'put') this.#put(write.kind, write.record, revs[index]!);
      else if (write.op === 'delete') this.#delete(write.key);
    });
    for (const event of events) this.#append(event);
    return revs;
  }

  // ── listings ───────────────────────────────────────────────────────────────

  async listSecrets(query: ListSecretsQuery): Promise<ListSecretsPage> {
    const data = this.#tenants.get(query.tenant);
    if (!data) return { items: [], total: 0 };
    const low = query.namespace === '' ? '' : `${query.namespace}/`;
    // '0' follows '/' in code-unit order, so this bounds every path under the namespace.
    const high = query.namespace === '' ? null : `${query.namespace}0`;
    const tiers = query.tiers ? new Set(query.tiers) : null;
    const types = query.types ? new Set(query.types) : null;
    const tags = Object.entries(query.tags ?? {});
    const items: SecretRecord[] = [];
    let total = 0;
    // A tag or single-tier filter walks the rarest such list (the index), not the namespace.
    const indexed = query.tiers?.length === 1 ? [...tags, [TIER, query.tiers[0]!] as [string, string]] : tags;
    const { paths, from } =
      indexed.length > 0 ? data.tags.candidates(indexed, low) : { paths: data.paths, from: lowerBound(data.paths, low) };
    for (let i = from; i < paths.length; i++) {
      const path = paths[i]!;
      if (high !== null && path >= high) break;
      const record = data.secret(path)!.record;
      if ((record.trashedAt !== null) !== query.trashed) continue;
      if (tiers && !tiers.has(record.tier)) continue;
      if (types && !types.has(record.type)) continue;
      if (!tags.every(([name, value]) => record.tags[name] === value)) continue;
      total++;
      if ((query.afterPath === null || path > query.afterPath) && items.length < query.limit) items.push(clone(record));
    }
    return { items, total };
  }

  async listRecords<K extends keyof RecordFilters>(query: ListRecordsQuery<K>): Promise<Stored<K>[]> {
    const where = Object.entries(query.where ?? {}).filter(([, value]) => value !== undefined);
    const map = this.#tenants.get(query.tenant)?.kind(query.kind) ?? new Map<string, Stored<K>>();
    return [...map.values()]
      .filter(({ record }) => {
        const fields = record as unknown as Record<string, unknown>;
        return (query.afterId === null || (fields['id'] as string) > query.afterId) && where.every(([name, value]) => fields[name] === value);
      })
      .sort((a, b) => text((a.record as { id: string }).id, (b.record as { id: string }).id))
      .slice(0, query.limit)
      .map((stored) => clone(stored) as Stored<K>);
  }

  #all<K extends RecordKind>(kind: K): Stored<K>[] {
    return [...this.#tenants.values()].flatMap((data) => [...data.kind(kind).values()]);
  }

  async listDue<Q extends DueQuery>(query: Q): Promise<DueResult<Q>> {
    const byPlace = (a: SecretRecord, b: SecretRecord) => text(a.tenant, b.tenant) || text(a.path, b.path);
    let rows: Stored[];
    if (query.due === 'approval_expiry') {
      rows = this.#all('approval')
        .filter(({ record: a }) => a.status === 'pending' && a.expiresAt <= query.now)
        .sort((a, b) => a.record.expiresAt - b.record.expiresAt || text(a.record.id, b.record.id));
    } else if (query.due === 'purge') {
      rows = this.#all('secret')
        .filter(({ record: s }) => s.trashedAt !== null && s.purgeAt !== null && s.purgeAt <= query.now)
        .sort((a, b) => a.record.purgeAt! - b.record.purgeAt! || byPlace(a.record, b.record));
    } else if (query.due === 'rotation') {
      const rank = (s: SecretRecord) => (s.pendingVersion !== null ? -Infinity : s.rotation!.nextAt);
      rows = this.#all('secret')
        .filter(({ record: s }) => s.trashedAt === null)
        .filter(({ record: s }) => s.pendingVersion !== null || (s.rotation?.nextAt ?? Infinity) <= query.now)
        .sort((a, b) => rank(a.record) - rank(b.record) || byPlace(a.record, b.record));
    } else {
      const q = query as Extract<DueQuery, { due: 'expiry' }>;
      const compare = (a: { expiresAt: number | null; tenant: string; path: string }, b: typeof a) =>
        a.expiresAt! - b.expiresAt! || text(a.tenant, b.tenant) || text(a.path, b.path);
      rows = this.#all('secret')
        .filter(({ record: s }) => s.trashedAt === null && s.expiresAt !== null && s.expiresAt > q.from && s.expiresAt <= q.until)
        .filter(({ record: s }) => q.after === null || compare(s, q.after) > 0)
        .sort((a, b) => compare(a.record, b.record));
    }
    return rows.slice(0, query.limit).map(clone) as DueResult<Q>;
  }

  async listWrappedKeys(
    query: StorageInput<'listWrappedKeys'>,
  ): Promise<Array<VersionKey & { wrappedKey: WrappedKey; rev: number }>> {
    const { after } = query;
    const found: Array<VersionKey & { wrappedKey: WrappedKey; rev: number }> = [];
    for (const tenant of [...this.#tenants.keys()].sort()) {
      if (after && tenant < after.tenant) continue;
      const data = this.#tenants.get(tenant)!;
      for (const path of data.paths) {
        if (after && tenant === after.tenant && path < after.path) continue;
        for (let n = 1; n <= data.secret(path)!.record.latestVersion; n++) {
          const stored = data.version(path, n);
          if (!stored || (after && tenant === after.tenant && path === after.path && n <= after.version)) continue;
          if (query.notKeyId !== undefined && stored.record.wrappedKey.keyId === query.notKeyId) continue;
          found.push({ tenant, path, version: n, wrappedKey: clone(stored.record.wrappedKey), rev: stored.rev });
          if (found.length === query.limit) return found;
        }
      }
    }
    return found;
  }

  // ── audit ──────────────────────────────────────────────────────────────────

  async queryAudit(query: AuditQuery): Promise<AuditEvent[]> {
    const events = this.#tenants.get(query.tenant)?.events ?? [];
    const sign = query.order === 'asc' ? 1 : -1;
    const compare = (a: { timestamp: number; id: string }, b: { timestamp: number; id: string }) =>
      sign * (a.timestamp - b.timestamp || text(a.id, b.id));
    const types = query.types ? new Set(query.types) : null;
    return events
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
      .map(copyEvent);
  }

  async readAudit(query: StorageInput<'readAudit'>): Promise<AuditEvent[]> {
    const data = this.#tenants.get(query.tenant);
    const events = data?.events ?? [];
    // An untampered trail holds seq n at index n - 1.
    if (!data?.tampered) return events.slice(query.afterSeq, query.afterSeq + query.limit).map(copyEvent);
    return events
      .filter((e) => e.seq > query.afterSeq)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, query.limit)
      .map(copyEvent);
  }

  // ── backdoor (tests) ───────────────────────────────────────────────────────

  /** Direct access to what is stored, bypassing every rule, for the conformance suite's tamper and leak checks. */
  backdoor(): StorageBackdoor {
    const trail = (tenant: string) => Object.assign(this.#tenant(tenant), { tampered: true });
    return {
      dump: async () =>
        JSON.stringify(
          {
            records: [...this.#tenants.values()].flatMap((t) => [...t.records.values()].flatMap((m) => [...m.values()])),
            audit: [...this.#tenants.values()].flatMap((t) => t.events),
          },
          (_key, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value),
        ),
      readVersion: async ({ tenant, path, version }) => {
        const stored = this.#tenants.get(tenant)?.version(path, version);
        return stored ? clone(stored.record) : null;
      },
      writeVersion: async (record) => {
        const stored = this.#tenants.get(record.tenant)?.version(record.path, record.version);
        if (!stored) throw new Error('backdoor: no such version row');
        stored.record = clone(record);
      },
      auditEvents: async (tenant) => clone(this.#tenant(tenant).events).sort((a, b) => a.seq - b.seq),
      patchAuditEvent: async (tenant, id, patch) => {
        const event = trail(tenant).events.find((e) => e.id === id);
        if (!event) throw new Error('backdoor: no such audit event');
        Object.assign(event, clone(patch));
      },
      deleteAuditEvent: async (tenant, id) => {
        const data = trail(tenant);
        data.events = data.events.filter((e) => e.id !== id);
      },
      insertAuditEvent: async (event) => void trail(event.tenant).events.push(clone(event)),
      renumberAudit: async (tenant) => {
        const data = trail(tenant);
        data.events.sort((a, b) => a.seq - b.seq).forEach((event, i) => (event.seq = i + 1));
        data.lastSeq = data.events.length;
      },
    };
  }
}

/** In-process storage; state lives as long as the returned adapter. */
export function memoryAdapter(options: MemoryAdapterOptions = {}): MemoryAdapter {
  return new MemoryAdapter(options);
}

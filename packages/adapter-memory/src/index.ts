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
  readEvent,
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
import { lowerBound, TagIndex, TIER } from './tag-index';

const clone = <T>(value: T): T => structuredClone(value);
const copyEvent = <E extends AuditEventInput>(e: E): E => ({ ...e, details: { ...e.details } });
// The hot read copies by hand: a tenth of structuredClone's cost.
const copySecret = (s: SecretRecord): SecretRecord => ({ ...s, tags: { ...s.tags }, rotation: s.rotation && { ...s.rotation } });
const copyVersion = (v: VersionRecord): VersionRecord =>
  ({ ...v, ciphertext: v.ciphertext.slice(), wrappedKey: { ...v.wrappedKey, ciphertext: v.wrappedKey.ciphertext.slice() } });
const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const ensure = <K, V>(map: Map<K, V>, key: K, make: () => V): V => map.get(key) ?? map.set(key, make()).get(key)!;
/** Orders by `rank`, ties by tenant then path (two ranks of -Infinity differ by NaN, which is falsy: they tie-break too). */
const byRank = <T extends { tenant: string; path: string }>(rank: (x: T) => number) => (a: T, b: T) =>
  rank(a) - rank(b) || text(a.tenant, b.tenant) || text(a.path, b.path);

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

  kind = <K extends RecordKind>(kind: K) => ensure(this.records, kind, () => new Map()) as Map<string, Stored<K>>;
  get = (key: RecordKey): Stored | undefined => this.kind(key.kind).get(localKey(key));
  secret = (path: string): Stored<'secret'> | undefined => this.kind('secret').get(path);
  version = (path: string, n: number): Stored<'version'> | undefined => this.kind('version').get(`${path}\u0000${n}`);
}

type WrappedKeyRow = VersionKey & { wrappedKey: WrappedKey; rev: number };

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

  #tenant = (tenant: string): TenantData => ensure(this.#tenants, tenant, () => new TenantData());

  // ── writing (callers have checked every condition first) ──────────────────

  #assertNewEvents(events: Array<{ id: string }>): void {
    const ids = new Set(events.map((e) => e.id));
    const taken = events.find((e) => this.#eventIds.has(e.id)) ?? (ids.size < events.length ? events[0] : undefined);
    if (taken) throw new AgentVaultConflictError(`audit event ${taken.id} already exists`);
  }

  #append(event: AuditEventInput): number {
    const data = this.#tenant(event.tenant);
    data.events.push({ ...copyEvent(event), seq: ++data.lastSeq });
    this.#eventIds.add(event.id);
    return data.lastSeq;
  }

  #put(kind: RecordKind, record: Stored['record'], rev: number): void {
    const key = recordKey(kind, record as never);
    const data = this.#tenant(key.tenant);
    const [map, local] = [data.kind(kind), localKey(key)];
    if (kind === 'secret') {
      if (!map.has(local)) data.paths.splice(lowerBound(data.paths, local), 0, local);
      data.tags.update(map.get(local)?.record as SecretRecord | undefined, record as SecretRecord);
    }
    if (kind === 'token' || kind === 'agent_key')
      this.#credentials.set((record as { hash: string }).hash, { tenant: key.tenant, kind, id: local });
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
    const seq = this.#append(readEvent(input.event, outcome, input.version, number));
    if (outcome !== 'ok') return { outcome, seq };
    secret!.record.accessedAt = input.now;
    return { outcome, secret: copySecret(secret!.record), version: copyVersion(version!.record), seq };
  }

  async writeVersion(input: StorageInput<'writeVersion'>): Promise<Stored<'secret'>> {
    const { version } = input;
    const data = this.#tenant(version.tenant);
    const stored = data.secret(version.path);
    const current = stored?.record;
    this.#assertNewEvents([input.event]);
    let next: SecretRecord;
    if (input.mode === 'create') {
      if (stored || !input.secret) throw new AgentVaultConflictError(`secret already exists: '${version.path}'`);
      next = { ...input.secret, currentVersion: 1, latestVersion: 1 };
    } else if (
      !current
      || current.trashedAt !== null
      || version.version !== current.latestVersion + 1
      || current.currentVersion !== input.expectedCurrentVersion
      || (input.mode === 'stage' && current.pendingVersion !== null)
    ) {
      throw new AgentVaultConflictError(`secret '${version.path}' changed since it was read`);
    } else if (input.mode === 'stage') {
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
    const rev = (stored?.rev ?? 0) + 1;
    this.#put('secret', next, rev);
    this.#put('version', version, 1);
    this.#append(input.event);
    return { kind: 'secret', record: clone(next), rev };
  }

  // ── records ────────────────────────────────────────────────────────────────

  async getRecords(keys: RecordKey[]): Promise<Array<Stored | null>> {
    return keys.map((key) => clone(this.#tenants.get(key.tenant)?.get(key) ?? null));
  }

  async findCredential(hash: string): Promise<Stored<'token'> | Stored<'agent_key'> | null> {
    const where = this.#credentials.get(hash);
    const stored = where && this.#tenants.get(where.tenant)?.kind(where.kind).get(where.id);
    return stored ? (clone(stored) as Stored<'token'> | Stored<'agent_key'>) : null;
  }

  async commit({ writes, events }: StorageInput<'commit'>): Promise<number[]> {
    const keys = writes.map((w) => (w.op === 'put' ? recordKey(w.kind, w.record as never) : w.key));
    const tenants = new Set([...keys, ...events].map((x) => x.tenant).filter((tenant) => tenant !== STORE_TENANT));
    if (tenants.size > 1) throw new Error('memory: a commit may not span tenants');
    const revs = keys.map((key, index) => {
      const write = writes[index]!;
      const stored = this.#tenants.get(key.tenant)?.get(key);
      const fits = write.expect === 'absent' ? stored === undefined : stored?.rev === write.expect;
      if (!fits) throw commitConflictError({ index, key });
      if (write.op === 'put' && (write.kind === 'token' || write.kind === 'agent_key')) {
        const owner = this.#credentials.get((write.record as { hash: string }).hash);
        if (owner && (owner.tenant !== key.tenant || owner.id !== localKey(key) || owner.kind !== write.kind))
          throw commitConflictError({ index, key }, 'memory: credential hash already stored');
      }
      if (write.op === 'put') return write.expect === 'absent' ? 1 : write.expect + 1;
      return write.op === 'check' && stored ? stored.rev : 0;
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
    // '0' follows '/' in code-unit order, so `high` bounds every path under the namespace.
    const [low, high] = query.namespace === '' ? ['', null] : [`${query.namespace}/`, `${query.namespace}0`];
    const tiers = query.tiers ? new Set(query.tiers) : null;
    const types = query.types ? new Set(query.types) : null;
    const tags = Object.entries(query.tags ?? {});
    const items: SecretRecord[] = [];
    let total = 0;
    // A tag or single-tier filter walks the rarest such list (the index), not the namespace.
    const indexed = query.tiers?.length === 1 ? [...tags, [TIER, query.tiers[0]!] as [string, string]] : tags;
    const { paths, from } = data.tags.candidates(indexed, low, data.paths);
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
    const matches = (record: object) => where.every(([name, value]) => (record as Record<string, unknown>)[name] === value);
    // These kinds are stored under their id.
    return [...(this.#tenants.get(query.tenant)?.kind(query.kind) ?? [])]
      .filter(([id, { record }]) => (query.afterId === null || id > query.afterId) && matches(record))
      .sort(([a], [b]) => text(a, b))
      .slice(0, query.limit)
      .map(([, stored]) => clone(stored));
  }

  async listDue<Q extends DueQuery>(query: Q): Promise<DueResult<Q>> {
    const all = <K extends RecordKind>(kind: K) => [...this.#tenants.values()].flatMap((data) => [...data.kind(kind).values()]);
    const secrets = (due: (s: SecretRecord) => boolean, order: (a: SecretRecord, b: SecretRecord) => number) =>
      all('secret').filter(({ record }) => due(record)).sort((a, b) => order(a.record, b.record));
    let rows: Stored[];
    if (query.due === 'approval_expiry') {
      rows = all('approval')
        .filter(({ record: a }) => a.status === 'pending' && a.expiresAt <= query.now)
        .sort((a, b) => a.record.expiresAt - b.record.expiresAt || text(a.record.id, b.record.id));
    } else if (query.due === 'purge') {
      rows = secrets((s) => s.trashedAt !== null && s.purgeAt !== null && s.purgeAt <= query.now, byRank((s) => s.purgeAt!));
    } else if (query.due === 'rotation') {
      const rank = (s: SecretRecord) => (s.pendingVersion !== null ? -Infinity : (s.rotation?.nextAt ?? Infinity));
      rows = secrets((s) => s.trashedAt === null && rank(s) <= query.now, byRank(rank));
    } else {
      const { from, until, after } = query as Extract<DueQuery, { due: 'expiry' }>;
      const order = byRank((s: Pick<SecretRecord, 'expiresAt' | 'tenant' | 'path'>) => s.expiresAt!);
      const due = (s: SecretRecord) => s.trashedAt === null && s.expiresAt !== null && s.expiresAt > from && s.expiresAt <= until;
      rows = secrets((s) => due(s) && (after === null || order(s, after) > 0), order);
    }
    return rows.slice(0, query.limit).map(clone) as DueResult<Q>;
  }

  async listWrappedKeys({ after, limit, notKeyId }: StorageInput<'listWrappedKeys'>): Promise<WrappedKeyRow[]> {
    const found: WrappedKeyRow[] = [];
    for (const tenant of [...this.#tenants.keys()].filter((t) => !after || t >= after.tenant).sort()) {
      const data = this.#tenants.get(tenant)!;
      const resume = after?.tenant === tenant ? after : null;
      for (const path of resume ? data.paths.slice(lowerBound(data.paths, resume.path)) : data.paths) {
        for (let n = path === resume?.path ? resume.version + 1 : 1; n <= data.secret(path)!.record.latestVersion; n++) {
          const stored = data.version(path, n);
          if (!stored || stored.record.wrappedKey.keyId === notKeyId) continue;
          found.push({ tenant, path, version: n, wrappedKey: clone(stored.record.wrappedKey), rev: stored.rev });
          if (found.length === limit) return found;
        }
      }
    }
    return found;
  }

  // ── audit ──────────────────────────────────────────────────────────────────

  async queryAudit(query: AuditQuery): Promise<AuditEvent[]> {
    const sign = query.order === 'asc' ? 1 : -1;
    const compare = (a: { timestamp: number; id: string }, b: typeof a) => sign * (a.timestamp - b.timestamp || text(a.id, b.id));
    const types = query.types ? new Set(query.types) : null;
    return (this.#tenants.get(query.tenant)?.events ?? [])
      .filter((e) => (query.namespace === undefined || (e.path !== null && isUnderNamespace(e.path, query.namespace)))
        && (query.path === undefined || e.path === query.path)
        && (query.actor === undefined || e.actor === query.actor)
        && (types === null || types.has(e.type))
        && (query.since === undefined || e.timestamp >= query.since)
        && (query.until === undefined || e.timestamp < query.until)
        && (query.success === undefined || e.success === query.success)
        && (query.after === null || compare(e, query.after) > 0))
      .sort(compare)
      .slice(0, query.limit)
      .map(copyEvent);
  }

  async readAudit({ tenant, afterSeq, limit }: StorageInput<'readAudit'>): Promise<AuditEvent[]> {
    const data = this.#tenants.get(tenant);
    // An untampered trail holds seq n at index n - 1.
    const events = data?.tampered
      ? data.events.filter((e) => e.seq > afterSeq).sort((a, b) => a.seq - b.seq)
      : (data?.events ?? []).slice(afterSeq, afterSeq + limit);
    return events.slice(0, limit).map(copyEvent);
  }

  // ── backdoor (tests) ───────────────────────────────────────────────────────

  /** Direct access to what is stored, bypassing every rule, for the conformance suite's tamper and leak checks. */
  backdoor(): StorageBackdoor {
    const trail = (tenant: string) => Object.assign(this.#tenant(tenant), { tampered: true });
    return {
      dump: async () => {
        const tenants = [...this.#tenants.values()];
        const records = tenants.flatMap((t) => [...t.records.values()].flatMap((m) => [...m.values()]));
        return JSON.stringify({ records, audit: tenants.flatMap((t) => t.events) }, (_key, value: unknown) =>
          (value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value));
      },
      readVersion: async ({ tenant, path, version }) => clone(this.#tenants.get(tenant)?.version(path, version)?.record ?? null),
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

/**
 * AgentVault storage on Redis (storage contract v2), on one node or on Redis Cluster. Every write is
 * one Lua script on one tenant's hash slot (`<prefix>{t:<tenant>}:…`), so each is atomic and one
 * round trip; listings read sorted-set indexes the scripts maintain. Store-wide lookups live in
 * their own slots: the credential index (`<prefix>{c:<hash>}`, claimed before the commit that
 * stores the token or key, so an entry without a record reads as not found) and the set of tenants
 * (`<prefix>{t:*}:tenants`) that cross-tenant listings walk tenant by tenant. See the README.
 */
import {
  AgentVaultConflictError, type AuditEvent, type AuditEventInput, type AuditQuery, commitConflictError,
  type DueQuery, type DueResult, isUnderNamespace, type ListRecordsQuery, type ListSecretsPage,
  type ListSecretsQuery, type ReadResult, type ReadSecretInput, type RecordFilters, type RecordKey, type RecordKind,
  type RecordWrite, recordKey, type StorageAdapter, type StorageInput, type Stored, TIERS, tierRank, type VersionKey,
  type WrappedKey,
} from '@agentvault/core';
import type { StorageBackdoor } from '@agentvault/core/testing';
import { redisBackdoor } from './backdoor';
import { type Arg, assertSafeClient, type RedisClientLike, redisError, refusalOf, runScript } from './client';
import { decodeEvent, decodeStored, localId, openEvent, recordFields, tagIndex, versionId } from './codec';
import type { ScriptName } from './lua';

export interface RedisAdapterOptions {
  /** Prefix of every key the adapter writes (no `{` or `}`). Default `agentvault:`. */
  prefix?: string;
  /** Adapter name in wrapped errors. Default `redis`. */
  name?: string;
  /** Quit the client on `close()`. Default: true for a client the adapter made from a URL. */
  ownsClient?: boolean;
}

type Owner = { tenant: string; kind: 'token' | 'agent_key'; id: string; at: number };
type Candidate = { tenant: string; id: string; score: number };

/** How long a credential index entry may wait for its record before a lookup removes it as stale. */
const STALE_CREDENTIAL_MS = 5 * 60_000;
const CHUNK = 256;

const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export class RedisAdapter implements StorageAdapter {
  readonly name: string;
  readonly client: RedisClientLike;
  readonly prefix: string;
  readonly #ownsClient: boolean;
  /** Tenants this process has added to the store-wide set. */
  readonly #registered = new Set<string>();

  constructor(client: RedisClientLike, options: RedisAdapterOptions = {}) {
    assertSafeClient(client);
    this.client = client;
    this.prefix = options.prefix ?? 'agentvault:';
    if (/[{}]/.test(this.prefix)) throw new Error('redis: the key prefix may not hold { or } (they are hash tags)');
    this.name = options.name ?? 'redis';
    this.#ownsClient = options.ownsClient ?? false;
  }

  // ── plumbing ───────────────────────────────────────────────────────────────

  /** The tenant's key base: every key of the tenant starts with it and shares its hash slot. */
  base(tenant: string): string {
    return `${this.prefix}{t:${tenant}}:`;
  }

  get tenantsKey(): string {
    return `${this.prefix}{t:*}:tenants`;
  }

  credentialKey(hash: string): string {
    return `${this.prefix}{c:${hash}}`;
  }

  async #call(command: string, ...args: Arg[]): Promise<unknown> {
    try {
      return await this.client.call(command, ...args);
    } catch (error) {
      throw redisError(error);
    }
  }

  async #script(name: ScriptName, tenant: string, args: Arg[]): Promise<unknown> {
    try {
      return await runScript(this.client, name, this.base(tenant), args);
    } catch (error) {
      throw redisError(error);
    }
  }

  /** Add the tenant to the store-wide set before its first write from this process. */
  async #register(tenant: string): Promise<void> {
    if (this.#registered.has(tenant)) return;
    await this.#call('SADD', this.tenantsKey, tenant);
    this.#registered.add(tenant);
  }

  async #tenants(): Promise<string[]> {
    return ((await this.#call('SMEMBERS', this.tenantsKey)) as string[]).sort(text);
  }

  // ── hot path ───────────────────────────────────────────────────────────────

  async readSecret(input: ReadSecretInput): Promise<ReadResult> {
    const { event } = input;
    const allowed = input.maxTier === null ? [] : TIERS.filter((t) => tierRank(t) <= tierRank(input.maxTier!));
    const reply = (await this.#script('read', input.tenant, [
      input.path,
      input.version === null ? '' : String(input.version),
      input.now,
      input.token?.id ?? '',
      event.id,
      event.timestamp,
      openEvent(event),
      input.maxTier === null ? '0' : '1',
      ...allowed.map((t) => JSON.stringify(t)),
    ])) as [ReadResult['outcome'], number, string?, string?];
    const [outcome, seq, secret, version] = reply;
    if (outcome !== 'ok') return { outcome, seq };
    return {
      outcome,
      secret: decodeStored('secret', secret!)!.record,
      version: decodeStored('version', version!)!.record,
      seq,
    };
  }

  async writeVersion(input: StorageInput<'writeVersion'>): Promise<Stored<'secret'>> {
    const { version, mode } = input;
    let fields: Record<string, unknown>;
    if (mode === 'create') {
      if (!input.secret) throw new AgentVaultConflictError('redis: create needs the secret record');
      fields = { ...input.secret, currentVersion: 1, latestVersion: 1 };
    } else if (mode === 'stage') {
      fields = { latestVersion: version.version, pendingVersion: version.version };
    } else {
      fields = {
        ...input.patch,
        currentVersion: version.version,
        latestVersion: version.version,
        updatedAt: version.createdAt,
        updatedBy: version.createdBy,
      };
    }
    await this.#register(version.tenant);
    const versionFields = recordFields(version);
    const secretFields = recordFields(fields);
    const reply = (await this.#script('writeVersion', version.tenant, [
      mode,
      version.path,
      version.version,
      String(input.expectedCurrentVersion),
      input.retirePreviousAt === null ? '' : input.retirePreviousAt,
      input.event.id,
      input.event.timestamp,
      openEvent(input.event),
      versionFields.length / 2,
      ...versionFields,
      secretFields.length / 2,
      ...secretFields,
    ])) as string;
    return decodeStored('secret', reply)!;
  }

  // ── records ────────────────────────────────────────────────────────────────

  async getRecords(keys: RecordKey[]): Promise<Array<Stored | null>> {
    const byTenant = new Map<string, number[]>();
    keys.forEach((key, i) => byTenant.set(key.tenant, [...(byTenant.get(key.tenant) ?? []), i]));
    const found: Array<Stored | null> = keys.map(() => null);
    await Promise.all(
      [...byTenant].map(async ([tenant, indexes]) => {
        const args = indexes.flatMap((i) => [keys[i]!.kind, localId(keys[i]!)]);
        const reply = (await this.#script('get', tenant, args)) as string[];
        indexes.forEach((i, n) => (found[i] = decodeStored(keys[i]!.kind, reply[n]!)));
      }),
    );
    return found;
  }

  async findCredential(hash: string): Promise<Stored<'token'> | Stored<'agent_key'> | null> {
    const key = this.credentialKey(hash);
    const entry = (await this.#call('GET', key)) as string | null;
    if (entry === null) return null;
    const owner = JSON.parse(entry) as Owner;
    const [stored] = await this.getRecords([{ kind: owner.kind, tenant: owner.tenant, id: owner.id }]);
    if (stored && (stored.record as { hash: string }).hash === hash) return stored as Stored<'token'> | Stored<'agent_key'>;
    // An entry whose commit never happened: remove it once no commit can still be on its way.
    if (!stored && Date.now() - owner.at > STALE_CREDENTIAL_MS) await this.#releaseCredential(hash, owner);
    return null;
  }

  async #releaseCredential(hash: string, owner: Omit<Owner, 'at'>): Promise<void> {
    const key = this.credentialKey(hash);
    const entry = (await this.#call('GET', key)) as string | null;
    const current = entry === null ? null : (JSON.parse(entry) as Owner);
    if (current && current.tenant === owner.tenant && current.kind === owner.kind && current.id === owner.id)
      await this.#call('DEL', key);
  }

  async commit(input: { writes: RecordWrite[]; events: AuditEventInput[] }): Promise<number[]> {
    const { writes, events } = input;
    const keys = writes.map((w) => (w.op === 'put' ? recordKey(w.kind, w.record as never) : w.key));
    const tenants = new Set([...keys.map((k) => k.tenant), ...events.map((e) => e.tenant)]);
    if (tenants.size === 0) return [];
    if (tenants.size > 1) throw new Error('redis: a commit may not span tenants (one hash slot per commit)');
    const [tenant] = tenants as unknown as [string];
    if (writes.some((w) => w.op === 'put')) await this.#register(tenant);
    await Promise.all(writes.map((write, index) => this.#claimCredential(write, keys[index]!, index)));
    const args: Arg[] = [writes.length];
    writes.forEach((write, i) => {
      const fields = write.op === 'put' ? recordFields(write.record) : [];
      const expect = write.expect === 'absent' ? 'absent' : String(write.expect);
      args.push(write.op, keys[i]!.kind, localId(keys[i]!), expect, fields.length / 2, ...fields);
    });
    args.push(events.length);
    for (const event of events) args.push(event.id, event.timestamp, openEvent(event));
    let reply: Array<number | string>;
    try {
      reply = (await runScript(this.client, 'commit', this.base(tenant), args)) as Array<number | string>;
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal?.code === 'conflict' && refusal.detail !== '') {
        const index = Number(refusal.detail);
        throw commitConflictError({ index, key: keys[index]! });
      }
      throw redisError(error);
    }
    const released = writes.map(async (write, i) => {
      const hash = reply[i];
      if (write.op === 'delete' && typeof hash === 'string' && (write.key.kind === 'token' || write.key.kind === 'agent_key'))
        await this.#releaseCredential(JSON.parse(hash) as string, { ...write.key, kind: write.key.kind, id: localId(write.key) });
    });
    await Promise.all(released);
    return reply.map((rev) => (typeof rev === 'number' ? rev : 0));
  }

  /** Claim the credential index entry of a token or agent key put; another owner's entry is a conflict. */
  async #claimCredential(write: RecordWrite, key: RecordKey, index: number): Promise<void> {
    if (write.op !== 'put' || (write.kind !== 'token' && write.kind !== 'agent_key')) return;
    const { hash, id, tenant } = write.record as { hash: string; id: string; tenant: string };
    const owner: Owner = { tenant, kind: write.kind, id, at: Date.now() };
    const previous = (await this.#call('SET', this.credentialKey(hash), JSON.stringify(owner), 'NX', 'GET')) as string | null;
    if (previous === null) return;
    const other = JSON.parse(previous) as Owner;
    if (other.tenant !== tenant || other.kind !== write.kind || other.id !== id)
      throw commitConflictError({ index, key }, 'redis: credential hash already stored');
  }

  // ── listings ───────────────────────────────────────────────────────────────

  /** One ZRANGEBYLEX page of an intersection of index unions, with the records. */
  async #page<K extends RecordKind>(
    kind: K,
    tenant: string,
    groups: string[][],
    range: { low: string; start: string; high: string; limit: number; count: boolean },
  ): Promise<{ total: number; items: Stored<K>[] }> {
    const reply = (await this.#script('page', tenant, [
      kind,
      range.count ? '1' : '0',
      range.low,
      range.start,
      range.high,
      range.limit,
      groups.length,
      ...groups.flatMap((group) => [group.length, ...group]),
    ])) as [number, string[], ...string[]];
    const [total, , ...records] = reply;
    return { total, items: records.map((doc) => decodeStored(kind, doc)!).filter(Boolean) };
  }

  async listSecrets(query: ListSecretsQuery): Promise<ListSecretsPage> {
    if (query.tiers?.length === 0 || query.types?.length === 0) return { items: [], total: 0 };
    const groups = [[query.trashed ? 'i:trash' : 'i:live']];
    for (const [name, value] of Object.entries(query.tags ?? {})) groups.push([tagIndex(name, value)]);
    if (query.tiers) groups.push(query.tiers.map((t) => `i:tier:${JSON.stringify(t)}`));
    if (query.types) groups.push(query.types.map((t) => `i:type:${JSON.stringify(t)}`));
    const ns = query.namespace;
    const low = ns === '' ? '-' : `[${ns}/`;
    const after = query.afterPath;
    const start = after !== null && (ns === '' || after >= `${ns}/`) ? `(${after}` : low;
    const page = await this.#page('secret', query.tenant, groups, {
      low,
      start,
      high: ns === '' ? '+' : `(${ns}0`,
      limit: query.limit,
      count: true,
    });
    return { items: page.items.map((s) => s.record), total: page.total };
  }

  async listRecords<K extends keyof RecordFilters>(query: ListRecordsQuery<K>): Promise<Stored<K>[]> {
    const where = Object.entries(query.where ?? {}).filter(([, value]) => value !== undefined);
    const groups = where.length ? where.map(([field, value]) => [`i:${query.kind}:${field}:${String(value)}`]) : [[`i:${query.kind}`]];
    const page = await this.#page(query.kind, query.tenant, groups, {
      low: '-',
      start: query.afterId === null ? '-' : `(${query.afterId}`,
      high: '+',
      limit: query.limit,
      count: false,
    });
    return page.items;
  }

  /**
   * Up to `limit` members of one tenant's due set with scores in [min, max], in score order, that
   * `keep` accepts (read in chunks, so members before a keyset cursor never crowd out the page).
   */
  async #due(tenant: string, set: string, min: string, max: string, limit: number, keep: (c: Candidate) => boolean) {
    const found: Candidate[] = [];
    for (let offset = 0; found.length < limit; offset += CHUNK) {
      // RESP3 (ioredis 6) replies [member, score] pairs; RESP2 a flat list.
      const flat = ((await this.#call(
        'ZRANGE', `${this.base(tenant)}${set}`, min, max, 'BYSCORE', 'LIMIT', offset, CHUNK, 'WITHSCORES',
      )) as unknown[]).flat() as string[];
      for (let i = 0; i < flat.length && found.length < limit; i += 2) {
        const candidate = { tenant, id: flat[i]!, score: Number(flat[i + 1]) };
        if (keep(candidate)) found.push(candidate);
      }
      if (flat.length < CHUNK * 2) break;
    }
    return found;
  }

  async listDue<Q extends DueQuery>(query: Q): Promise<DueResult<Q>> {
    const tenants = await this.#tenants();
    const { limit } = query;
    let set: string;
    let min = '-inf';
    let max = '+inf';
    let keep: (c: Candidate) => boolean = () => true;
    let order = (a: Candidate, b: Candidate) => a.score - b.score || text(a.tenant, b.tenant) || text(a.id, b.id);
    if (query.due === 'expiry') {
      const q = query as Extract<DueQuery, { due: 'expiry' }>;
      set = 'd:expiry';
      min = q.after && q.after.expiresAt > q.from ? String(q.after.expiresAt) : `(${q.from}`;
      max = String(q.until);
      const after = q.after;
      if (after) keep = (c) => order(c, { tenant: after.tenant, id: after.path, score: after.expiresAt }) > 0;
    } else {
      set = { rotation: 'd:rotation', purge: 'd:purge', approval_expiry: 'd:approval' }[query.due];
      max = String(query.now);
      if (query.due === 'approval_expiry') order = (a, b) => a.score - b.score || text(a.id, b.id) || text(a.tenant, b.tenant);
    }
    const candidates = (await Promise.all(tenants.map((t) => this.#due(t, set, min, max, limit, keep))))
      .flat()
      .sort(order)
      .slice(0, limit);
    const kind = query.due === 'approval_expiry' ? 'approval' : 'secret';
    const keys = candidates.map((c): RecordKey => (kind === 'secret' ? { kind, tenant: c.tenant, path: c.id } : { kind, tenant: c.tenant, id: c.id }));
    return (await this.getRecords(keys)).filter((s) => s !== null) as DueResult<Q>;
  }

  async listWrappedKeys(
    query: StorageInput<'listWrappedKeys'>,
  ): Promise<Array<VersionKey & { wrappedKey: WrappedKey; rev: number }>> {
    const { after, limit } = query;
    const found: Array<VersionKey & { wrappedKey: WrappedKey; rev: number }> = [];
    for (const tenant of await this.#tenants()) {
      if (after && tenant < after.tenant) continue;
      let start = after && tenant === after.tenant ? `(${versionId(after.path, after.version)}` : '-';
      for (;;) {
        const { items } = await this.#page('version', tenant, [['i:version']], { low: '-', start, high: '+', limit: CHUNK, count: false });
        for (const { record, rev } of items) {
          if (query.notKeyId !== undefined && record.wrappedKey.keyId === query.notKeyId) continue;
          found.push({ tenant, path: record.path, version: record.version, wrappedKey: record.wrappedKey, rev });
          if (found.length === limit) return found;
        }
        if (items.length < CHUNK) break;
        const last = items.at(-1)!.record;
        start = `(${versionId(last.path, last.version)}`;
      }
    }
    return found;
  }

  // ── audit ──────────────────────────────────────────────────────────────────

  async #events(tenant: string, set: 'e:seq' | 'e:time', from: string, to: string, reverse: boolean, offset: number, count: number) {
    const reply = (await this.#script('events', tenant, [set, from, to, reverse ? 'REV' : '', offset, count])) as Array<string | null>;
    return { read: reply.length, events: reply.filter((json): json is string => json !== null).map(decodeEvent) };
  }

  async queryAudit(query: AuditQuery): Promise<AuditEvent[]> {
    const asc = query.order === 'asc';
    const { after, since, until } = query;
    let low = since === undefined ? '-inf' : String(since);
    let high = until === undefined ? '+inf' : `(${until}`;
    if (after && asc && (since === undefined || after.timestamp >= since)) low = String(after.timestamp);
    if (after && !asc && (until === undefined || after.timestamp < until)) high = String(after.timestamp);
    const sign = asc ? 1 : -1;
    const types = query.types ? new Set(query.types) : null;
    const matches = (e: AuditEvent) =>
      (after === null || sign * (e.timestamp - after.timestamp || text(e.id, after.id)) > 0)
      && (query.namespace === undefined || (e.path !== null && isUnderNamespace(e.path, query.namespace)))
      && (query.path === undefined || e.path === query.path)
      && (query.actor === undefined || e.actor === query.actor)
      && (types === null || types.has(e.type))
      && (query.success === undefined || e.success === query.success);
    const found: AuditEvent[] = [];
    const size = Math.max(CHUNK, query.limit);
    for (let offset = 0; found.length < query.limit; offset += size) {
      const chunk = await this.#events(query.tenant, 'e:time', asc ? low : high, asc ? high : low, !asc, offset, size);
      for (const event of chunk.events) if (found.length < query.limit && matches(event)) found.push(event);
      if (chunk.read < size) break;
    }
    return found;
  }

  async readAudit(query: StorageInput<'readAudit'>): Promise<AuditEvent[]> {
    return (await this.#events(query.tenant, 'e:seq', `(${query.afterSeq}`, '+inf', false, 0, query.limit)).events;
  }

  async close(): Promise<void> {
    if (this.#ownsClient) await this.client.quit().catch(() => undefined);
  }

  /** Direct access to what is stored, for the conformance suite's tamper and leak checks. Not for applications. */
  backdoor(): StorageBackdoor {
    return redisBackdoor(this);
  }
}

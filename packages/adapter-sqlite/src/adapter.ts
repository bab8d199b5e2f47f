/**
 * AgentVault storage in one SQLite file (better-sqlite3, WAL). better-sqlite3 is synchronous, so
 * each method runs as one `BEGIN IMMEDIATE` transaction that nothing in this process can interleave
 * with, and other processes on the same file wait on SQLite's lock. It decides no rule: the audited
 * read's outcome comes from core's `readOutcome`; everything else is the contract's conditions.
 */
import {
  AgentVaultConflictError,
  AgentVaultUnavailableError,
  applySecretPatch,
  type AuditEvent,
  type AuditEventInput,
  type AuditQuery,
  commitConflictError,
  consumesUse,
  type DueQuery,
  type DueResult,
  type ListRecordsQuery,
  type ListSecretsPage,
  type ListSecretsQuery,
  type ReadResult,
  type ReadSecretInput,
  type RecordFilters,
  type RecordKey,
  type RecordKind,
  type RecordWrite,
  readEvent,
  readOutcome,
  recordKey,
  type SecretRecord,
  type StorageAdapter,
  STORE_TENANT,
  type StorageInput,
  type Stored,
  type TokenRecord,
  type VersionKey,
  type VersionRecord,
  type WrappedKey,
} from '@agentvault/core';
import type { Database, Statement } from 'better-sqlite3';
import { decode, encode } from './codec';
import { SCHEMA, SCHEMA_VERSION } from './schema';
import { Where } from './where';

interface Row {
  rev: number;
  data: string;
}

export class SqliteAdapter implements StorageAdapter {
  readonly name = 'sqlite';
  readonly #db: Database;
  readonly #q: ReturnType<typeof statements>;
  readonly #owned: boolean;
  /** One transaction function, made once: better-sqlite3 builds a wrapper per `transaction()` call. */
  readonly #run: ReturnType<Database['transaction']>;

  /** `owned`: close() closes the database (false when the caller opened it and keeps it). */
  constructor(db: Database, owned = true) {
    this.#db = db;
    this.#owned = owned;
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = OFF');
    // Deleted pages are overwritten: destroying a secret shreds its ciphertext on disk too.
    db.pragma('secure_delete = ON');
    db.exec(SCHEMA);
    db.prepare('INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
    this.#q = statements(db);
    this.#run = db.transaction((work: () => unknown) => work());
  }

  /** One transaction, taken with the write lock up front so two connections never deadlock on upgrade. */
  #tx<T>(work: () => T): T {
    try {
      return this.#run.immediate(work) as T;
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_IOERR' || code.startsWith('SQLITE_CANTOPEN'))
        throw new AgentVaultUnavailableError('sqlite: the database file is busy or unreachable', { cause: error });
      throw error;
    }
  }

  // ── rows ───────────────────────────────────────────────────────────────────

  #secret(tenant: string, path: string): Stored<'secret'> | null {
    const row = this.#q.secret.get(tenant, path) as (Row & { accessed_at: number | null }) | undefined;
    if (!row) return null;
    const record = decode<SecretRecord>(row.data);
    record.accessedAt = row.accessed_at;
    return { kind: 'secret', record, rev: row.rev };
  }

  #version(tenant: string, path: string, version: number): Stored<'version'> | null {
    const row = this.#q.version.get(tenant, path, version) as Row | undefined;
    return row ? { kind: 'version', record: decode<VersionRecord>(row.data, 'version'), rev: row.rev } : null;
  }

  #other(kind: RecordKind, tenant: string, id: string): Stored | null {
    const row = this.#q.record.get(kind, tenant, id) as Row | undefined;
    return row ? ({ kind, record: decode(row.data, kind), rev: row.rev } as Stored) : null;
  }

  #get(key: RecordKey): Stored | null {
    if (key.kind === 'secret') return this.#secret(key.tenant, key.path);
    if (key.kind === 'version') return this.#version(key.tenant, key.path, key.version);
    return this.#other(key.kind, key.tenant, key.id);
  }

  #putSecret(record: SecretRecord, rev: number): void {
    const rotationDue = record.pendingVersion !== null ? -1 : (record.rotation?.nextAt ?? null);
    const { accessedAt, ...rest } = record;
    this.#q.putSecret.run(
      record.tenant, record.path, rev, record.tier, record.type, record.trashedAt === null ? 0 : 1,
      record.expiresAt, record.purgeAt, rotationDue, record.currentVersion, encode(rest),
    );
    if (accessedAt !== null) this.#q.touch.run(record.tenant, record.path, accessedAt);
    this.#q.deleteTags.run(record.tenant, record.path);
    for (const [name, value] of Object.entries(record.tags)) this.#q.putTag.run(record.tenant, name, value, record.path);
  }

  #put(write: Extract<RecordWrite, { op: 'put' }>, rev: number): void {
    if (write.kind === 'secret') return this.#putSecret(write.record, rev);
    if (write.kind === 'version') {
      const v = write.record;
      this.#q.putVersion.run(v.tenant, v.path, v.version, rev, v.wrappedKey.keyId, encode(v));
      return;
    }
    const record = write.record as unknown as Record<string, unknown> & { tenant: string; id: string };
    const text = (name: string) => (typeof record[name] === 'string' ? (record[name] as string) : null);
    this.#q.putRecord.run(
      write.kind, record.tenant, record.id, rev, text('hash'), text('parentId'), text('issuedBy'),
      write.kind === 'approval' ? text('status') : null,
      write.kind === 'approval' ? (record['expiresAt'] as number) : null,
      encode(record),
    );
  }

  #delete(key: RecordKey): void {
    if (key.kind === 'secret') {
      this.#q.deleteSecret.run(key.tenant, key.path);
      this.#q.deleteAccess.run(key.tenant, key.path);
      this.#q.deleteTags.run(key.tenant, key.path);
    } else if (key.kind === 'version') {
      this.#q.deleteVersion.run(key.tenant, key.path, key.version);
    } else {
      this.#q.deleteRecord.run(key.kind, key.tenant, key.id);
    }
  }

  #append(event: AuditEventInput): number {
    const { seq } = this.#q.nextSeq.get(event.tenant) as { seq: number };
    try {
      this.#q.insertEvent.run(
        event.tenant, seq, event.id, event.timestamp, event.type, event.path, event.actor, event.success ? 1 : 0,
        JSON.stringify({ ...event, seq }),
      );
    } catch (error) {
      // The unique index on ids refuses a repeated event id; the transaction rolls everything back.
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new AgentVaultConflictError(`audit event ${event.id} already exists`);
      throw error;
    }
    return seq;
  }

  // ── hot path ───────────────────────────────────────────────────────────────

  async readSecret(input: ReadSecretInput): Promise<ReadResult> {
    return this.#tx(() => {
      const token = input.token ? (this.#other('token', input.tenant, input.token.id) as Stored<'token'> | null) : undefined;
      // The secret and the version asked for (or the current one) in one statement.
      const row = this.#q.readJoin.get({ version: input.version, tenant: input.tenant, path: input.path }) as
        | { data: string; number: number; vdata: string | null }
        | undefined;
      const secret = row ? decode<SecretRecord>(row.data) : null;
      const version = row?.vdata ? decode<VersionRecord>(row.vdata, 'version') : null;
      const outcome = readOutcome({
        now: input.now,
        maxTier: input.maxTier,
        token: token === undefined ? undefined : (token?.record ?? null),
        secret,
        version,
      });
      if (token && consumesUse(outcome) && token.record.usesRemaining !== null) {
        const spent: TokenRecord = { ...token.record, usesRemaining: token.record.usesRemaining - 1 };
        this.#put({ op: 'put', kind: 'token', record: spent, expect: token.rev }, token.rev + 1);
      }
      const seq = this.#append(readEvent(input.event, outcome, input.version, row?.number ?? null));
      if (outcome !== 'ok') return { outcome, seq };
      this.#q.touch.run(input.tenant, input.path, input.now);
      // The record was decoded for this call alone: it can take the new access time in place.
      secret!.accessedAt = input.now;
      return { outcome, secret: secret!, version: version!, seq };
    });
  }

  async writeVersion(input: StorageInput<'writeVersion'>): Promise<Stored<'secret'>> {
    return this.#tx(() => {
      const { version } = input;
      const stored = this.#secret(version.tenant, version.path);
      if (input.mode === 'create') {
        if (stored || !input.secret) throw new AgentVaultConflictError(`secret already exists: '${version.path}'`);
        const secret = { ...input.secret, currentVersion: 1, latestVersion: 1 };
        this.#putSecret(secret, 1);
        this.#put({ op: 'put', kind: 'version', record: version, expect: 'absent' }, 1);
        this.#append(input.event);
        return { kind: 'secret', record: secret, rev: 1 };
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
        const replaced = this.#version(version.tenant, version.path, current.currentVersion);
        if (input.retirePreviousAt !== null && replaced) {
          const retired = { ...replaced.record, retiresAt: input.retirePreviousAt };
          this.#put({ op: 'put', kind: 'version', record: retired, expect: replaced.rev }, replaced.rev + 1);
        }
        next = {
          ...applySecretPatch(current, input.patch),
          currentVersion: version.version,
          latestVersion: version.version,
          updatedAt: version.createdAt,
          updatedBy: version.createdBy,
        };
      }
      this.#putSecret(next, stored.rev + 1);
      this.#put({ op: 'put', kind: 'version', record: version, expect: 'absent' }, 1);
      this.#append(input.event);
      return { kind: 'secret', record: next, rev: stored.rev + 1 };
    });
  }

  // ── records ────────────────────────────────────────────────────────────────

  async getRecords(keys: RecordKey[]): Promise<Array<Stored | null>> {
    return keys.map((key) => this.#get(key));
  }

  async findCredential(hash: string): Promise<Stored<'token'> | Stored<'agent_key'> | null> {
    const row = this.#q.credential.get(hash) as (Row & { kind: 'token' | 'agent_key' }) | undefined;
    return row ? ({ kind: row.kind, record: decode(row.data), rev: row.rev } as Stored<'token'> | Stored<'agent_key'>) : null;
  }

  async commit(input: { writes: RecordWrite[]; events: AuditEventInput[] }): Promise<number[]> {
    const keys = input.writes.map((write) => (write.op === 'put' ? recordKey(write.kind, write.record as never) : write.key));
    const tenants = new Set([...keys, ...input.events].map((item) => item.tenant).filter((tenant) => tenant !== STORE_TENANT));
    if (tenants.size > 1) throw new Error('sqlite: a commit may not span tenants');
    return this.#tx(() => {
      const revs = input.writes.map((write, index) => {
        const key = write.op === 'put' ? recordKey(write.kind, write.record as never) : write.key;
        const stored = this.#get(key);
        const fits = write.expect === 'absent' ? stored === null : stored?.rev === write.expect;
        if (!fits) throw commitConflictError({ index, key });
        if (write.op === 'put' && (write.kind === 'token' || write.kind === 'agent_key')) {
          const owner = this.#q.credential.get(write.record.hash) as { kind: string; tenant: string; id: string } | undefined;
          if (owner && (owner.kind !== write.kind || owner.tenant !== key.tenant || owner.id !== write.record.id))
            throw commitConflictError({ index, key }, 'sqlite: credential hash already stored');
        }
        if (write.op === 'put') {
          const rev = write.expect === 'absent' ? 1 : write.expect + 1;
          this.#put(write, rev);
          return rev;
        }
        if (write.op === 'delete') this.#delete(key);
        return write.op === 'check' && stored ? stored.rev : 0;
      });
      for (const event of input.events) this.#append(event);
      return revs;
    });
  }

  // ── listings ───────────────────────────────────────────────────────────────

  async listSecrets(query: ListSecretsQuery): Promise<ListSecretsPage> {
    const where = new Where().and('s.tenant = @tenant AND s.trashed = @trashed', { tenant: query.tenant, trashed: query.trashed ? 1 : 0 });
    if (query.namespace !== '') where.under('s.path', query.namespace);
    if (query.tiers) where.in('s.tier', 'tier', query.tiers);
    if (query.types) where.in('s.type', 'type', query.types);
    // `path IN (…)`, not a correlated EXISTS: the planner then walks the tag's index rows (sorted by
    // path) and looks each secret up, instead of probing the tag for every secret of the tenant.
    Object.entries(query.tags ?? {}).forEach(([name, value], i) =>
      where.and(
        `s.path IN (SELECT t.path FROM secret_tags t WHERE t.tenant = @tenant AND t.name = @tn${i} AND t.value = @tv${i})`,
        { [`tn${i}`]: name, [`tv${i}`]: value },
      ));
    const count = this.#db.prepare(`SELECT count(*) AS total FROM secrets s WHERE ${where}`).get(where.params) as { total: number };
    if (query.afterPath !== null) where.and('s.path > @after', { after: query.afterPath });
    const page = this.#db
      .prepare(`SELECT s.rev, s.data, a.accessed_at FROM secrets s LEFT JOIN secret_access a ON a.tenant = s.tenant AND a.path = s.path WHERE ${where} ORDER BY s.path LIMIT @limit`)
      .all({ ...where.params, limit: query.limit }) as Array<Row & { accessed_at: number | null }>;
    return { items: page.map((row) => ({ ...decode<SecretRecord>(row.data), accessedAt: row.accessed_at })), total: count.total };
  }

  async listRecords<K extends keyof RecordFilters>(query: ListRecordsQuery<K>): Promise<Stored<K>[]> {
    const filters = (query.where ?? {}) as { parentId?: string; issuedBy?: string; status?: string };
    const rows = this.#db
      .prepare(
        `SELECT rev, data FROM records WHERE kind = @kind AND tenant = @tenant AND id > @after
         ${filters.parentId !== undefined ? 'AND parent_id = @parentId' : ''}
         ${filters.issuedBy !== undefined ? 'AND issued_by = @issuedBy' : ''}
         ${filters.status !== undefined ? 'AND status = @status' : ''}
         ORDER BY id LIMIT @limit`,
      )
      .all({ kind: query.kind, tenant: query.tenant, after: query.afterId ?? '', limit: query.limit, ...filters }) as Row[];
    return rows.map((row) => ({ kind: query.kind, record: decode(row.data, query.kind), rev: row.rev }) as Stored<K>);
  }

  async listDue<Q extends DueQuery>(query: Q): Promise<DueResult<Q>> {
    if (query.due === 'approval_expiry') {
      const rows = this.#q.dueApprovals.all(query.now, query.limit) as Row[];
      return rows.map((row) => ({ kind: 'approval', record: decode(row.data), rev: row.rev })) as DueResult<Q>;
    }
    let rows: Array<Row & { accessed_at: number | null }>;
    if (query.due === 'purge') rows = this.#q.duePurge.all(query.now, query.limit) as typeof rows;
    else if (query.due === 'rotation') rows = this.#q.dueRotation.all(query.now, query.limit) as typeof rows;
    else {
      const q = query as Extract<DueQuery, { due: 'expiry' }>;
      const after = q.after ?? { expiresAt: q.from, tenant: '', path: '' };
      const bounds = { from: q.from, until: q.until, limit: q.limit };
      rows = this.#q.dueExpiry.all({ ...bounds, at: after.expiresAt, tenant: after.tenant, path: after.path }) as typeof rows;
    }
    return rows.map((row) => ({
      kind: 'secret',
      record: { ...decode<SecretRecord>(row.data), accessedAt: row.accessed_at },
      rev: row.rev,
    })) as DueResult<Q>;
  }

  async listWrappedKeys(
    query: StorageInput<'listWrappedKeys'>,
  ): Promise<Array<VersionKey & { wrappedKey: WrappedKey; rev: number }>> {
    const after = query.after ?? { tenant: '', path: '', version: 0 };
    const rows = this.#db
      .prepare(
        `SELECT tenant, path, version, rev, data FROM versions
         WHERE (tenant, path, version) > (@tenant, @path, @version) ${query.notKeyId !== undefined ? 'AND key_id <> @notKeyId' : ''}
         ORDER BY tenant, path, version LIMIT @limit`,
      )
      .all({ ...after, limit: query.limit, ...(query.notKeyId !== undefined ? { notKeyId: query.notKeyId } : {}) }) as Array<
        Row & VersionKey
    >;
    return rows.map((row) => ({
      tenant: row.tenant,
      path: row.path,
      version: row.version,
      wrappedKey: decode<VersionRecord>(row.data, 'version').wrappedKey,
      rev: row.rev,
    }));
  }

  // ── audit ──────────────────────────────────────────────────────────────────

  async queryAudit(query: AuditQuery): Promise<AuditEvent[]> {
    const where = new Where().and('tenant = @tenant', { tenant: query.tenant });
    if (query.namespace !== undefined) where.under('path', query.namespace);
    if (query.path !== undefined) where.and('path = @path', { path: query.path });
    if (query.actor !== undefined) where.and('actor = @actor', { actor: query.actor });
    if (query.types) where.in('type', 'type', query.types);
    if (query.since !== undefined) where.and('timestamp >= @since', { since: query.since });
    if (query.until !== undefined) where.and('timestamp < @until', { until: query.until });
    if (query.success !== undefined) where.and('success = @success', { success: query.success ? 1 : 0 });
    const [direction, beyond] = query.order === 'asc' ? ['ASC', '>'] : ['DESC', '<'];
    if (query.after) where.and(`(timestamp, id) ${beyond} (@afterTime, @afterId)`, { afterTime: query.after.timestamp, afterId: query.after.id });
    const rows = this.#db
      .prepare(`SELECT data FROM audit WHERE ${where} ORDER BY timestamp ${direction}, id ${direction} LIMIT @limit`)
      .all({ ...where.params, limit: query.limit }) as Array<{ data: string }>;
    return rows.map((row) => decode<AuditEvent>(row.data));
  }

  async readAudit(query: StorageInput<'readAudit'>): Promise<AuditEvent[]> {
    const rows = this.#q.readAudit.all(query.tenant, query.afterSeq, query.limit) as Array<{ data: string; seq: number }>;
    // The seq column is authoritative (a tampered row's JSON may say otherwise).
    return rows.map((row) => ({ ...decode<AuditEvent>(row.data), seq: row.seq }));
  }

  async close(): Promise<void> {
    if (this.#owned && this.#db.open) this.#db.close();
  }

  /** The database handle, for the test backdoor. */
  get database(): Database {
    return this.#db;
  }
}

function statements(db: Database) {
  const s = (sql: string): Statement => db.prepare(sql);
  return {
    secret: s('SELECT s.rev, s.data, a.accessed_at FROM secrets s LEFT JOIN secret_access a ON a.tenant = s.tenant AND a.path = s.path WHERE s.tenant = ? AND s.path = ?'),
    readJoin: s(`SELECT s.data, coalesce(@version, s.current_version) AS number, v.data AS vdata
      FROM secrets s LEFT JOIN versions v ON v.tenant = s.tenant AND v.path = s.path AND v.version = coalesce(@version, s.current_version)
      WHERE s.tenant = @tenant AND s.path = @path`),
    version: s('SELECT rev, data FROM versions WHERE tenant = ? AND path = ? AND version = ?'),
    record: s('SELECT rev, data FROM records WHERE kind = ? AND tenant = ? AND id = ?'),
    credential: s(`SELECT kind, tenant, id, rev, data FROM records WHERE hash = ? AND kind IN ('token', 'agent_key')`),
    putSecret: s(`INSERT INTO secrets (tenant, path, rev, tier, type, trashed, expires_at, purge_at, rotation_due, current_version, data)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (tenant, path) DO UPDATE SET rev = excluded.rev, tier = excluded.tier, type = excluded.type,
        trashed = excluded.trashed, expires_at = excluded.expires_at, purge_at = excluded.purge_at,
        rotation_due = excluded.rotation_due, current_version = excluded.current_version, data = excluded.data`),
    putTag: s('INSERT INTO secret_tags (tenant, name, value, path) VALUES (?, ?, ?, ?)'),
    deleteTags: s('DELETE FROM secret_tags WHERE tenant = ? AND path = ?'),
    putVersion: s(`INSERT INTO versions (tenant, path, version, rev, key_id, data) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (tenant, path, version) DO UPDATE SET rev = excluded.rev, key_id = excluded.key_id, data = excluded.data`),
    putRecord: s(`INSERT INTO records (kind, tenant, id, rev, hash, parent_id, issued_by, status, expires_at, data)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (kind, tenant, id) DO UPDATE SET rev = excluded.rev, hash = excluded.hash, parent_id = excluded.parent_id,
        issued_by = excluded.issued_by, status = excluded.status, expires_at = excluded.expires_at, data = excluded.data`),
    deleteSecret: s('DELETE FROM secrets WHERE tenant = ? AND path = ?'),
    deleteVersion: s('DELETE FROM versions WHERE tenant = ? AND path = ? AND version = ?'),
    deleteRecord: s('DELETE FROM records WHERE kind = ? AND tenant = ? AND id = ?'),
    touch: s(`INSERT INTO secret_access (tenant, path, accessed_at) VALUES (?, ?, ?)
      ON CONFLICT (tenant, path) DO UPDATE SET accessed_at = excluded.accessed_at`),
    deleteAccess: s('DELETE FROM secret_access WHERE tenant = ? AND path = ?'),
    nextSeq: s(`INSERT INTO audit_heads (tenant, last_seq) VALUES (?, 1)
      ON CONFLICT (tenant) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq AS seq`),
    insertEvent: s('INSERT INTO audit (tenant, seq, id, timestamp, type, path, actor, success, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    readAudit: s('SELECT seq, data FROM audit WHERE tenant = ? AND seq > ? ORDER BY seq LIMIT ?'),
    dueApprovals: s(`SELECT rev, data FROM records WHERE kind = 'approval' AND status = 'pending' AND expires_at <= ?
      ORDER BY expires_at, tenant, id LIMIT ?`),
    duePurge: s(`SELECT s.rev, s.data, a.accessed_at FROM secrets s LEFT JOIN secret_access a ON a.tenant = s.tenant AND a.path = s.path WHERE s.trashed = 1 AND s.purge_at <= ?
      ORDER BY s.purge_at, s.tenant, s.path LIMIT ?`),
    dueRotation: s(`SELECT s.rev, s.data, a.accessed_at FROM secrets s LEFT JOIN secret_access a ON a.tenant = s.tenant AND a.path = s.path WHERE s.trashed = 0 AND s.rotation_due IS NOT NULL AND s.rotation_due <= ?
      ORDER BY s.rotation_due, s.tenant, s.path LIMIT ?`),
    dueExpiry: s(`SELECT s.rev, s.data, a.accessed_at FROM secrets s LEFT JOIN secret_access a ON a.tenant = s.tenant AND a.path = s.path
      WHERE s.trashed = 0 AND s.expires_at IS NOT NULL AND s.expires_at > @from AND s.expires_at <= @until
        AND (s.expires_at, s.tenant, s.path) > (@at, @tenant, @path)
      ORDER BY s.expires_at, s.tenant, s.path LIMIT @limit`),
  };
}

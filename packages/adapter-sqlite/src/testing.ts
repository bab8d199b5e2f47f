/**
 * Test support: a conformance fixture on a fresh database file with a twin connection, and the
 * backdoor the suite uses to read and alter rows directly, bypassing every rule. Never for production.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent, VersionRecord } from '@agentvault/core';
import type { StorageBackdoor, StorageFixture } from '@agentvault/core/testing';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { decode, encode } from './codec';
import { sqliteAdapter } from './index';

export function sqliteBackdoor(db: Database): StorageBackdoor {
  const events = (tenant: string) => {
    const rows = db.prepare('SELECT seq, data FROM audit WHERE tenant = ? ORDER BY seq').all(tenant) as Array<{ seq: number; data: string }>;
    return rows.map((row) => ({ ...decode<AuditEvent>(row.data), seq: row.seq }));
  };
  const store = (event: AuditEvent) =>
    db
      .prepare('INSERT INTO audit (tenant, seq, id, timestamp, type, path, actor, success, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(
        event.tenant, event.seq, event.id, event.timestamp, event.type, event.path, event.actor,
        Number(event.success), JSON.stringify(event),
      );
  return {
    async dump() {
      const tables = ['secrets', 'secret_access', 'secret_tags', 'versions', 'records', 'audit', 'audit_heads'];
      return JSON.stringify(Object.fromEntries(tables.map((table) => [table, db.prepare(`SELECT * FROM ${table}`).all()])));
    },
    async readVersion({ tenant, path, version }) {
      const row = db.prepare('SELECT data FROM versions WHERE tenant = ? AND path = ? AND version = ?').get(tenant, path, version) as
        | { data: string }
        | undefined;
      return row ? decode<VersionRecord>(row.data, 'version') : null;
    },
    async writeVersion(record) {
      const changed = db
        .prepare('UPDATE versions SET key_id = ?, data = ? WHERE tenant = ? AND path = ? AND version = ?')
        .run(record.wrappedKey.keyId, encode(record), record.tenant, record.path, record.version);
      if (changed.changes !== 1) throw new Error('backdoor: no such version row');
    },
    auditEvents: async (tenant) => events(tenant),
    async patchAuditEvent(tenant, id, patch) {
      const row = db.prepare('SELECT seq, data FROM audit WHERE tenant = ? AND id = ?').get(tenant, id) as { seq: number; data: string } | undefined;
      if (!row) throw new Error('backdoor: no such audit event');
      const event = { ...decode<AuditEvent>(row.data), seq: row.seq, ...patch };
      db.prepare('DELETE FROM audit WHERE tenant = ? AND id = ?').run(tenant, id);
      store(event);
    },
    async deleteAuditEvent(tenant, id) {
      db.prepare('DELETE FROM audit WHERE tenant = ? AND id = ?').run(tenant, id);
    },
    async insertAuditEvent(event) {
      store(event);
    },
    async renumberAudit(tenant) {
      const all = events(tenant);
      db.transaction(() => {
        db.prepare('DELETE FROM audit WHERE tenant = ?').run(tenant);
        all.forEach((event, i) => store({ ...event, seq: i + 1 }));
        db.prepare('INSERT INTO audit_heads (tenant, last_seq) VALUES (?, ?) ON CONFLICT (tenant) DO UPDATE SET last_seq = excluded.last_seq').run(
          tenant,
          all.length,
        );
      })();
    },
  };
}

/** A conformance fixture on a fresh database file in a temporary directory, with a twin connection to it. */
export function sqliteTestFixture(): StorageFixture {
  const dir = mkdtempSync(join(tmpdir(), 'agentvault-sqlite-'));
  const path = join(dir, 'vault.db');
  // Opened here and handed over, so a test that closes its vault leaves the file open for the rest.
  const databases = [new BetterSqlite3(path)];
  const storage = sqliteAdapter({ database: databases[0]! });
  return {
    storage,
    backdoor: sqliteBackdoor(storage.database),
    twin: () => {
      const database = new BetterSqlite3(path);
      databases.push(database);
      return sqliteAdapter({ database });
    },
    async close() {
      for (const database of databases) database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Test support for code that runs on this adapter: the test server's URL and throwaway schemas,
 * a ready conformance fixture, and the backdoor the conformance suite uses to read and alter rows
 * directly (bypassing every rule) — `@agentvault/adapter-postgres/testing`. Never for production.
 */
import { randomBytes } from 'node:crypto';
import type { AuditEvent, VersionRecord } from '@agentvault/core';
import type { StorageBackdoor, StorageFixture } from '@agentvault/core/testing';
import pg from 'pg';
import { postgresAdapter } from './index';
import { testUrl } from './probe';
import { AUDIT_COLUMN_OF, AUDIT_COLUMNS, toAuditEvent, toVersion, versionValues } from './rows';

export { DEFAULT_PG_URL, PG_URL_VAR, probePostgres, redactedUrl, testUrl } from './probe';

/** A pool on the test server; errors of idle clients (tests kill backends) are ignored. */
export function testPool(options: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: testUrl(),
    max: 8,
    connectionTimeoutMillis: 5000,
    application_name: 'agentvault-test',
    ...options,
  });
  // Tests kill backends on purpose; an idle client's error must not crash the worker.
  pool.on('error', () => {});
  return pool;
}

/** A schema name no other run uses; recognisable if a crashed run leaves it behind. */
export function uniqueSchema(label: string): string {
  return `agentvault_test_${label}_${randomBytes(5).toString('hex')}`;
}

/** Drop a schema this run created (never one it did not). */
export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  if (!schema.startsWith('agentvault_test_')) throw new Error(`refusing to drop schema ${schema}`);
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/**
 * A conformance fixture on a fresh, migrated schema of the test server, with a twin adapter on its
 * own pool; `close` drops the schema.
 */
export async function postgresTestFixture(label = 'fixture'): Promise<StorageFixture> {
  const schema = uniqueSchema(label);
  const pool = testPool();
  const twinPool = testPool();
  const storage = postgresAdapter({ pool }, { schema });
  await storage.migrate();
  return {
    storage,
    backdoor: postgresBackdoor(pool, schema),
    // A second adapter on its own pool: the two-instance races cross connections, not just calls.
    twin: () => postgresAdapter({ pool: twinPool }, { schema }),
    close: async () => {
      await twinPool.end();
      await dropSchema(pool, schema);
      await pool.end();
    },
  };
}

const TABLES = ['secrets', 'secret_access', 'secret_versions', 'records', 'audit_events', 'audit_counters'];

/** Reads and rewrites rows directly, bypassing every rule: what an attacker with database access can do. */
export function postgresBackdoor(pool: pg.Pool, schema: string): StorageBackdoor {
  const s = `"${schema}"`;
  const auditRow = (event: Partial<AuditEvent>) =>
    Object.entries(event).map(([field, value]) => {
      const column = AUDIT_COLUMN_OF[field as keyof AuditEvent];
      if (!column) throw new Error(`backdoor: unknown audit field ${field}`);
      return [column, field === 'details' ? JSON.stringify(value) : value] as const;
    });
  return {
    // row_to_json writes bytea as "\x<hex>".
    dump: async () => {
      const parts: Record<string, unknown> = {};
      for (const table of TABLES) {
        const { rows } = await pool.query(`SELECT coalesce(json_agg(t), '[]') AS rows FROM ${s}.${table} t`);
        parts[table] = rows[0].rows;
      }
      return JSON.stringify(parts);
    },
    readVersion: async ({ tenant, path, version }) => {
      const { rows } = await pool.query(
        `SELECT * FROM ${s}.secret_versions WHERE tenant = $1 AND path = $2 AND version = $3`,
        [tenant, path, version],
      );
      return rows[0] ? toVersion(rows[0]) : null;
    },
    writeVersion: async (record: VersionRecord) => {
      const { rowCount } = await pool.query(
        `UPDATE ${s}.secret_versions SET ciphertext = $4, key_id = $5, wrapped_key = $6, created_at = $7,
           created_by = $8, retires_at = $9
         WHERE tenant = $1 AND path = $2 AND version = $3`,
        versionValues(record),
      );
      if (rowCount !== 1) throw new Error('backdoor: no such version row');
    },
    patchAuditEvent: async (tenant, id, patch) => {
      const sets = auditRow(patch);
      const { rowCount } = await pool.query(
        `UPDATE ${s}.audit_events SET ${sets.map(([column], i) => `${column} = $${i + 3}`).join(', ')}
         WHERE tenant = $1 AND id = $2`,
        [tenant, id, ...sets.map(([, value]) => value)],
      );
      if (rowCount !== 1) throw new Error('backdoor: no such audit event');
    },
    deleteAuditEvent: async (tenant, id) => {
      await pool.query(`DELETE FROM ${s}.audit_events WHERE tenant = $1 AND id = $2`, [tenant, id]);
    },
    insertAuditEvent: async (event: AuditEvent) => {
      const row = auditRow(event);
      await pool.query(
        `INSERT INTO ${s}.audit_events (${row.map(([column]) => column).join(', ')})
         VALUES (${row.map((_, i) => `$${i + 1}`).join(', ')})`,
        row.map(([, value]) => value),
      );
    },
    auditEvents: async (tenant) => {
      const { rows } = await pool.query(`SELECT ${AUDIT_COLUMNS} FROM ${s}.audit_events WHERE tenant = $1 ORDER BY seq, id`, [tenant]);
      return rows.map(toAuditEvent);
    },
    renumberAudit: async (tenant) => {
      await pool.query(
        `WITH n AS (SELECT id, row_number() OVER (ORDER BY seq, id) AS seq FROM ${s}.audit_events WHERE tenant = $1),
         renumbered AS (UPDATE ${s}.audit_events e SET seq = n.seq FROM n WHERE e.id = n.id RETURNING 1)
         INSERT INTO ${s}.audit_counters (tenant, seq) SELECT $1, count(*) FROM renumbered
         ON CONFLICT (tenant) DO UPDATE SET seq = excluded.seq`,
        [tenant],
      );
    },
  };
}

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

const TABLES = [
  'secrets',
  'secret_access',
  'secret_versions',
  'audit_events',
  'audit_heads',
  'agent_keys',
  'tokens',
  'approvals',
  'leases',
  'expiry_warnings',
];

const AUDIT_FIELDS: Record<string, string> = {
  chain: 'chain',
  seq: 'seq',
  hash: 'hash',
  type: 'type',
  path: 'path',
  actor: 'actor',
  actorDescription: 'actor_description',
  ip: 'ip',
  userAgent: 'user_agent',
  timestamp: 'ts',
  details: 'details',
  success: 'success',
  error: 'error',
  version: 'version',
};

export function postgresBackdoor(pool: pg.Pool, schema: string): StorageBackdoor {
  const s = `"${schema}"`;
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
      const row = rows[0];
      if (!row) return null;
      const record: VersionRecord = {
        tenant: row.tenant,
        path: row.path,
        version: row.version,
        ciphertext: new Uint8Array(row.ciphertext),
        wrappedKey: { keyId: row.key_id, ciphertext: new Uint8Array(row.wrapped_key) },
        createdAt: Number(row.created_at),
        createdBy: row.created_by,
        retiresAt: row.retires_at === null ? null : Number(row.retires_at),
      };
      return record;
    },
    writeVersion: async (record) => {
      const { rowCount } = await pool.query(
        `UPDATE ${s}.secret_versions SET ciphertext = $4, key_id = $5, wrapped_key = $6, created_at = $7,
           created_by = $8, retires_at = $9
         WHERE tenant = $1 AND path = $2 AND version = $3`,
        [
          record.tenant,
          record.path,
          record.version,
          Buffer.from(record.ciphertext),
          record.wrappedKey.keyId,
          Buffer.from(record.wrappedKey.ciphertext),
          record.createdAt,
          record.createdBy,
          record.retiresAt,
        ],
      );
      if (rowCount !== 1) throw new Error('backdoor: no such version row');
    },
    patchAuditEvent: async (tenant, id, patch: Partial<Omit<AuditEvent, 'id' | 'tenant'>>) => {
      const values: unknown[] = [tenant, id];
      const sets = Object.entries(patch).map(([field, value]) => {
        const column = AUDIT_FIELDS[field];
        if (!column) throw new Error(`backdoor: unknown audit field ${field}`);
        values.push(
          field === 'hash'
            ? Buffer.from(value as string, 'hex')
            : field === 'details'
              ? JSON.stringify(value)
              : value,
        );
        return `${column} = $${values.length}`;
      });
      const { rowCount } = await pool.query(
        `UPDATE ${s}.audit_events SET ${sets.join(', ')} WHERE tenant = $1 AND id = $2`,
        values,
      );
      if (rowCount !== 1) throw new Error('backdoor: no such audit event');
    },
    deleteAuditEvent: async (tenant, id) => {
      await pool.query(`DELETE FROM ${s}.audit_events WHERE tenant = $1 AND id = $2`, [tenant, id]);
    },
  };
}

/** Direct SQL on the adapter's tables, bypassing every rule, for the conformance suite's checks. */
import type { AuditEvent, VersionRecord } from '@agentvault/core';
import type { StorageBackdoor } from '@agentvault/core/testing';
import type pg from 'pg';

const TABLES = [
  'secrets',
  'secret_access',
  'secret_versions',
  'audit_events',
  'audit_heads',
  'agent_keys',
  'tokens',
  'approvals',
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

/**
 * Secret writes: each one transaction on one client. The secret row is locked first (FOR NO KEY
 * UPDATE, or FOR UPDATE before a delete), the rules are checked against what is really stored,
 * and then the change and its audit event go out as one statement before COMMIT.
 */
import type {
  AuditEventInput,
  ListSecretsPage,
  ListSecretsQuery,
  RotationPolicy,
  SecretPatch,
  SecretRecord,
  StorageInput,
  VersionInfo,
  VersionKey,
  VersionRecord,
  WrappedKey,
} from '@agentvault/core';
import {
  AgentVaultConflictError,
  AgentVaultGoneError,
  AgentVaultNotFoundError,
} from '@agentvault/core/errors';
import { auditCtes, duplicateEvent } from './audit';
import type { Db, Query } from './db';
import {
  bytes,
  json,
  num,
  numOrNull,
  param,
  ROTATION_COLUMNS,
  rotationValues,
  SECRET_COLUMNS,
  toSecret,
  toVersionInfo,
} from './rows';
import type { Tables } from './tables';

export interface LockedSecret {
  current_version: number;
  latest_version: number;
  pending_version: number | null;
  trashed_at: string | null;
  purge_at: string | null;
}

const notFound = (path: string) => new AgentVaultNotFoundError(`secret not found: '${path}'`, { path });

export async function lockSecret(
  q: Query,
  t: Tables,
  tenant: string,
  path: string,
  mode: 'FOR UPDATE' | 'FOR NO KEY UPDATE' = 'FOR NO KEY UPDATE',
): Promise<LockedSecret | undefined> {
  return q.one<LockedSecret>(
    `SELECT current_version, latest_version, pending_version, trashed_at, purge_at FROM ${t.secrets}
     WHERE tenant = $1 AND path = $2 ${mode}`,
    [tenant, path],
  );
}

export async function lockLive(q: Query, t: Tables, tenant: string, path: string): Promise<LockedSecret> {
  const row = await lockSecret(q, t, tenant, path);
  if (!row || row.trashed_at !== null) throw notFound(path);
  return row;
}

/**
 * Run `WITH <ctes>, <audit ctes> SELECT …` where `ctes` use parameters `$1..$n` from `values`;
 * the audit CTEs are numbered after them. Returns the rows of `select`.
 */
export async function writeWithAudit(
  q: Query,
  t: Tables,
  ctes: string[],
  values: unknown[],
  event: AuditEventInput,
  select: string,
): Promise<Record<string, unknown>[]> {
  const audit = auditCtes(t, event, values.length + 1);
  try {
    return await q.rows(`WITH ${[...ctes, audit.text].join(',\n')}\n${select}`, [...values, ...audit.values]);
  } catch (error) {
    throw duplicateEvent(error, event.id);
  }
}

/** The SET clause for a patch, appending its values to `values`. */
function patchAssignments(patch: SecretPatch, values: unknown[]): string[] {
  const sets: string[] = [];
  const set = (column: string, value: unknown, cast = '') => {
    values.push(value);
    sets.push(`${column} = $${values.length}${cast}`);
  };
  if (patch.type !== undefined) set('type', patch.type);
  if (patch.tier !== undefined) set('tier', patch.tier);
  if (patch.description !== undefined) set('description', patch.description);
  if (patch.tags !== undefined) set('tags', json(patch.tags), '::jsonb');
  if (patch.expiresAt !== undefined) set('expires_at', patch.expiresAt);
  if (patch.rotation !== undefined) sets.push(...rotationAssignments(patch.rotation, values));
  return sets;
}

/** The SET clause that stores `rotation` (null: clears it) in its four columns, appending its values. */
export function rotationAssignments(rotation: RotationPolicy | null, values: unknown[]): string[] {
  return rotationValues(rotation).map((value, i) => {
    values.push(value);
    return `${ROTATION_COLUMNS[i]} = $${values.length}`;
  });
}

/** A CTE `updated` that applies `sets` to the secret and returns it with its access time. */
export function updateSecretCte(t: Tables, sets: string[], values: unknown[], tenant: string, path: string): string {
  values.push(tenant, path);
  const n = values.length;
  return `updated AS (
    UPDATE ${t.secrets} AS s SET ${sets.join(', ')}
    WHERE s.tenant = $${n - 1} AND s.path = $${n}
    RETURNING s.*
  )`;
}

export function selectUpdated(t: Tables): string {
  return `SELECT ${SECRET_COLUMNS} FROM updated s LEFT JOIN ${t.access} a ON a.tenant = s.tenant AND a.path = s.path`;
}

/** The CTE `version` inserting the version whose values (`versionInsertValues`) are `$1..$9`. */
export function insertVersionCte(t: Tables): string {
  return `version AS (INSERT INTO ${t.versions} (tenant, path, version, ciphertext, key_id, wrapped_key,
    created_at, created_by, retires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9))`;
}

export function versionInsertValues(v: VersionRecord): unknown[] {
  return [
    v.tenant,
    v.path,
    v.version,
    param(v.ciphertext),
    v.wrappedKey.keyId,
    param(v.wrappedKey.ciphertext),
    v.createdAt,
    v.createdBy,
    v.retiresAt,
  ];
}

export async function createSecret(
  db: Db,
  input: StorageInput<'createSecret'>,
): Promise<void> {
  const { secret: s, version: v, event } = input;
  const t = db.t;
  await db.transaction(async (q) => {
    // ON CONFLICT DO NOTHING waits for a concurrent insert of the same path and then does nothing.
    const inserted = await q.rows(
      `INSERT INTO ${t.secrets} (tenant, path, type, tier, description, tags, current_version, latest_version,
         created_at, created_by, updated_at, updated_by, expires_at, trashed_at, purge_at, pending_version,
         ${ROTATION_COLUMNS.join(', ')})
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
       ON CONFLICT (tenant, path) DO NOTHING RETURNING 1`,
      [
        s.tenant,
        s.path,
        s.type,
        s.tier,
        s.description,
        json(s.tags),
        s.currentVersion,
        s.latestVersion,
        s.createdAt,
        s.createdBy,
        s.updatedAt,
        s.updatedBy,
        s.expiresAt,
        s.trashedAt,
        s.purgeAt,
        s.pendingVersion,
        ...rotationValues(s.rotation),
      ],
    );
    if (inserted.length === 0) throw new AgentVaultConflictError(`secret already exists: '${s.path}'`);
    await writeWithAudit(
      q,
      t,
      [
        `access AS (INSERT INTO ${t.access} (tenant, path, accessed_at) VALUES ($1, $2, $10))`,
        insertVersionCte(t),
      ],
      [...versionInsertValues(v), s.accessedAt],
      event,
      'SELECT 1',
    );
  });
}

export async function appendVersion(
  db: Db,
  input: StorageInput<'appendVersion'>,
): Promise<SecretRecord> {
  const v = input.version;
  const t = db.t;
  return db.transaction(async (q) => {
    const row = await lockLive(q, t, v.tenant, v.path);
    if (v.version !== row.latest_version + 1 || row.current_version !== input.expectedCurrentVersion) {
      throw new AgentVaultConflictError(`secret '${v.path}' changed since it was read`);
    }
    const values = versionInsertValues(v);
    const ctes = [insertVersionCte(t)];
    if (input.retirePreviousAt !== null) {
      values.push(row.current_version, input.retirePreviousAt);
      ctes.push(`retire AS (UPDATE ${t.versions} SET retires_at = $${values.length}
        WHERE tenant = $1 AND path = $2 AND version = $${values.length - 1})`);
    }
    const sets = [
      ...patchAssignments(input.patch, values),
      'current_version = $3',
      'latest_version = $3',
      'updated_at = $7',
      'updated_by = $8',
    ];
    ctes.push(updateSecretCte(t, sets, values, v.tenant, v.path));
    const [updated] = await writeWithAudit(q, t, ctes, values, input.event, selectUpdated(t));
    return toSecret(updated!);
  });
}

export async function updateSecretMetadata(
  db: Db,
  input: StorageInput<'updateSecretMetadata'>,
): Promise<SecretRecord> {
  const t = db.t;
  return db.transaction(async (q) => {
    const row = await lockLive(q, t, input.tenant, input.path);
    if (input.expectedCurrentVersion !== null && row.current_version !== input.expectedCurrentVersion) {
      throw new AgentVaultConflictError(
        `secret '${input.path}' is not at version ${input.expectedCurrentVersion}`,
      );
    }
    const values: unknown[] = [input.updatedAt, input.updatedBy];
    const sets = [...patchAssignments(input.patch, values), 'updated_at = $1', 'updated_by = $2'];
    const cte = updateSecretCte(t, sets, values, input.tenant, input.path);
    const [updated] = await writeWithAudit(q, t, [cte], values, input.event, selectUpdated(t));
    return toSecret(updated!);
  });
}

export async function rollbackSecret(
  db: Db,
  input: StorageInput<'rollbackSecret'>,
): Promise<SecretRecord> {
  const t = db.t;
  return db.transaction(async (q) => {
    const row = await lockLive(q, t, input.tenant, input.path);
    const target = await q.one<{ retires_at: string | null }>(
      `SELECT retires_at FROM ${t.versions} WHERE tenant = $1 AND path = $2 AND version = $3`,
      [input.tenant, input.path, input.toVersion],
    );
    if (!target) {
      throw new AgentVaultNotFoundError(`secret '${input.path}' has no version ${input.toVersion}`, {
        path: input.path,
      });
    }
    const retiresAt = numOrNull(target.retires_at);
    if (retiresAt !== null && retiresAt <= input.now) {
      throw new AgentVaultGoneError(`version ${input.toVersion} of '${input.path}' was retired`, {
        path: input.path,
      });
    }
    if (row.pending_version === input.toVersion) {
      throw new AgentVaultConflictError(
        `version ${input.toVersion} of '${input.path}' is pending; only a promotion makes it current`,
      );
    }
    if (input.expectedCurrentVersion !== null && row.current_version !== input.expectedCurrentVersion) {
      throw new AgentVaultConflictError(
        `secret '${input.path}' is not at version ${input.expectedCurrentVersion}`,
      );
    }
    const values: unknown[] = [input.toVersion, input.now, input.by];
    const sets = ['current_version = $1', 'updated_at = $2', 'updated_by = $3'];
    const cte = updateSecretCte(t, sets, values, input.tenant, input.path);
    const [updated] = await writeWithAudit(q, t, [cte], values, input.event, selectUpdated(t));
    return toSecret(updated!);
  });
}

export async function getSecret(db: Db, tenant: string, path: string): Promise<SecretRecord | null> {
  const t = db.t;
  const row = await db.one(
    `SELECT ${SECRET_COLUMNS} FROM ${t.secrets} s LEFT JOIN ${t.access} a ON a.tenant = s.tenant AND a.path = s.path
     WHERE s.tenant = $1 AND s.path = $2`,
    [tenant, path],
  );
  return row ? toSecret(row) : null;
}

/**
 * A page's columns, `accessed_at` by a correlated primary-key lookup per row: joined instead, small
 * tables tempt the planner into hashing a sequential scan of `secret_access`.
 */
export const PAGE_COLUMNS = (t: Tables) =>
  SECRET_COLUMNS.replace(
    'a.accessed_at',
    `(SELECT a.accessed_at FROM ${t.access} a WHERE a.tenant = s.tenant AND a.path = s.path) AS accessed_at`,
  );

/**
 * One page and the total in one statement (one snapshot). The namespace is a range on the primary
 * key: `ns/` ≤ path < `ns0`, since '0' follows '/' in code-unit order.
 */
export async function listSecrets(db: Db, query: ListSecretsQuery): Promise<ListSecretsPage> {
  const t = db.t;
  const values: unknown[] = [query.tenant, query.trashed];
  const where = ['s.tenant = $1', `(s.trashed_at IS NOT NULL) = $2`];
  const add = (clause: (n: string) => string, value: unknown) => {
    values.push(value);
    where.push(clause(`$${values.length}`));
  };
  if (query.namespace !== '') {
    add((n) => `s.path >= ${n}`, `${query.namespace}/`);
    add((n) => `s.path < ${n}`, `${query.namespace}0`);
  }
  if (query.tiers) add((n) => `s.tier = ANY(${n}::text[])`, query.tiers);
  if (query.types) add((n) => `s.type = ANY(${n}::text[])`, query.types);
  if (query.tags && Object.keys(query.tags).length > 0) add((n) => `s.tags @> ${n}::jsonb`, json(query.tags));
  const filter = where.join(' AND ');
  values.push(query.afterPath, query.limit);
  const after = `$${values.length - 1}`;
  const limit = `$${values.length}`;
  const rows = await db.rows(
    `WITH page AS (
       SELECT s.* FROM ${t.secrets} s
       WHERE ${filter} AND (${after}::text IS NULL OR s.path > ${after}::text)
       ORDER BY s.path LIMIT ${limit}
     )
     SELECT total.n AS total, ${PAGE_COLUMNS(t)}
     FROM (SELECT count(*) AS n FROM ${t.secrets} s WHERE ${filter}) total
     LEFT JOIN page s ON true
     ORDER BY s.path`,
    values,
  );
  return {
    total: rows.length > 0 ? num(rows[0]!.total) : 0,
    items: rows.filter((row) => row.path !== null).map(toSecret),
  };
}

export async function listVersions(db: Db, tenant: string, path: string): Promise<VersionInfo[]> {
  const rows = await db.rows(
    `SELECT tenant, path, version, key_id, created_at, created_by, retires_at FROM ${db.t.versions}
     WHERE tenant = $1 AND path = $2 ORDER BY version`,
    [tenant, path],
  );
  return rows.map(toVersionInfo);
}

export async function trashSecret(
  db: Db,
  input: StorageInput<'trashSecret'>,
): Promise<void> {
  const t = db.t;
  await db.transaction(async (q) => {
    await lockLive(q, t, input.tenant, input.path);
    const values: unknown[] = [input.now, input.purgeAt];
    const cte = updateSecretCte(t, ['trashed_at = $1', 'purge_at = $2'], values, input.tenant, input.path);
    await writeWithAudit(q, t, [cte], values, input.event, 'SELECT 1');
  });
}

export async function restoreSecret(
  db: Db,
  input: StorageInput<'restoreSecret'>,
): Promise<SecretRecord> {
  const t = db.t;
  return db.transaction(async (q) => {
    const row = await lockSecret(q, t, input.tenant, input.path);
    if (!row || row.trashed_at === null) {
      throw new AgentVaultNotFoundError(`no trashed secret at '${input.path}'`, { path: input.path });
    }
    const values: unknown[] = [input.now, input.by];
    const sets = ['trashed_at = NULL', 'purge_at = NULL', 'updated_at = $1', 'updated_by = $2'];
    const cte = updateSecretCte(t, sets, values, input.tenant, input.path);
    const [updated] = await writeWithAudit(q, t, [cte], values, input.event, selectUpdated(t));
    return toSecret(updated!);
  });
}

function isDue(row: LockedSecret, purgeDueBy: number): boolean {
  return row.trashed_at !== null && row.purge_at !== null && num(row.purge_at) <= purgeDueBy;
}

/**
 * Deletes the secret; its versions (ciphertext, wrapped keys) and access row go with it (ON DELETE
 * CASCADE). With `purgeDueBy` (maintenance) only a secret that is trashed and due then, judged under
 * the row lock, so a restore that committed first is never undone.
 */
export async function destroySecret(
  db: Db,
  input: StorageInput<'destroySecret'>,
): Promise<void> {
  const t = db.t;
  await db.transaction(async (q) => {
    const row = await lockSecret(q, t, input.tenant, input.path, 'FOR UPDATE');
    if (!row) throw notFound(input.path);
    if (input.purgeDueBy !== undefined && !isDue(row, input.purgeDueBy)) {
      throw new AgentVaultNotFoundError(`no trashed secret due for purge at '${input.path}'`, { path: input.path });
    }
    await writeWithAudit(
      q,
      t,
      [`gone AS (DELETE FROM ${t.secrets} WHERE tenant = $1 AND path = $2)`],
      [input.tenant, input.path],
      input.event,
      'SELECT 1',
    );
  });
}

export async function listWrappedKeys(
  db: Db,
  query: StorageInput<'listWrappedKeys'>,
): Promise<Array<VersionKey & { wrappedKey: WrappedKey }>> {
  const values: unknown[] = [];
  const where: string[] = [];
  if (query.after) {
    values.push(query.after.tenant, query.after.path, query.after.version);
    where.push('(tenant, path, version) > ($1, $2, $3)');
  }
  if (query.notKeyId !== undefined) {
    values.push(query.notKeyId);
    where.push(`key_id <> $${values.length}`);
  }
  values.push(query.limit);
  const rows = await db.rows(
    `SELECT tenant, path, version, key_id, wrapped_key FROM ${db.t.versions}
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY tenant, path, version LIMIT $${values.length}`,
    values,
  );
  return rows.map((row) => ({
    tenant: row.tenant as string,
    path: row.path as string,
    version: num(row.version),
    wrappedKey: { keyId: row.key_id as string, ciphertext: bytes(row.wrapped_key) },
  }));
}

export async function replaceWrappedKey(
  db: Db,
  input: StorageInput<'replaceWrappedKey'>,
): Promise<boolean> {
  const rows = await db.rows(
    `UPDATE ${db.t.versions} SET key_id = $4, wrapped_key = $5
     WHERE tenant = $1 AND path = $2 AND version = $3 AND key_id = $6 AND wrapped_key = $7
     RETURNING 1`,
    [
      input.tenant,
      input.path,
      input.version,
      input.next.keyId,
      param(input.next.ciphertext),
      input.expected.keyId,
      param(input.expected.ciphertext),
    ],
  );
  return rows.length === 1;
}

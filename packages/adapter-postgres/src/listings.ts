/**
 * Indexed listings with keyset cursors. Paths, tenants and ids are COLLATE "C" (code-unit order,
 * like the contract's keysets). Each listing is a range scan of an index in the order it returns:
 * - secrets: the primary key (tenant, path), a namespace as the range [ns + "/", ns + "0"), tags
 *   from the GIN index `secrets_tags_idx` (containment, jsonb_path_ops);
 * - records: the primary key (kind, tenant, id), or the expression index of the filtered field;
 * - due listings: the schema's partial indexes, holding just the rows they can return.
 */
import type {
  DueQuery, DueResult, ListRecordsQuery, ListSecretsPage, ListSecretsQuery, RecordFilters, Stored, StorageInput,
  VersionKey, WrappedKey,
} from '@agentvault/core';
import { type Db, placeholder, underNamespace } from './db';
import { type Found, toStored } from './records';
import { bytes, json, listedSecretColumns, num, toSecret } from './rows';

type Row = Record<string, unknown>;

const storedSecret = (row: Row): Stored<'secret'> => ({ kind: 'secret', record: toSecret(row), rev: num(row.rev) });

export async function listSecrets(db: Db, query: ListSecretsQuery): Promise<ListSecretsPage> {
  const values: unknown[] = [];
  const $ = placeholder(values);
  const where = [`s.tenant = ${$(query.tenant)}`, `(s.trashed_at IS NOT NULL) = ${$(query.trashed)}`];
  if (query.namespace !== '') where.push(...underNamespace('s.path', query.namespace, $));
  if (query.tiers) where.push(`s.tier = ANY(${$(query.tiers)}::text[])`);
  if (query.types) where.push(`s.type = ANY(${$(query.types)}::text[])`);
  if (query.tags && Object.keys(query.tags).length > 0) where.push(`s.tags @> ${$(json(query.tags))}::jsonb`);
  const filter = where.join(' AND ');
  const after = `${$(query.afterPath)}::text`;
  const rows = await db.direct.rows(
    `WITH page AS (
       SELECT s.* FROM ${db.t.secrets} s
       WHERE ${filter} AND (${after} IS NULL OR s.path > ${after})
       ORDER BY s.path LIMIT ${$(query.limit)}
     )
     SELECT total.n AS total, ${listedSecretColumns(db.t)}
     FROM (SELECT count(*) AS n FROM ${db.t.secrets} s WHERE ${filter}) total
     LEFT JOIN page s ON true
     ORDER BY s.path`,
    values,
  );
  return {
    total: rows.length > 0 ? num(rows[0]!.total) : 0,
    items: rows.filter((row) => row.path !== null).map(toSecret),
  };
}

/** The jsonb field each `RecordFilters` key reads (each with its expression index in migration 3). */
const FILTERS: Record<keyof RecordFilters, string[]> = {
  token: ['parentId', 'issuedBy'],
  agent_key: [],
  approval: ['status'],
  audit_checkpoint: [],
};

export async function listRecords<K extends keyof RecordFilters>(db: Db, query: ListRecordsQuery<K>): Promise<Stored<K>[]> {
  const fields = FILTERS[query.kind];
  if (!fields) throw new TypeError(`postgres: listRecords cannot list ${String(query.kind)}`);
  const values: unknown[] = [];
  const $ = placeholder(values);
  const after = `${$(query.afterId)}::text`;
  // The kind as a literal, so the planner matches the partial indexes of its filters.
  const where = [`kind = '${query.kind}'`, `tenant = ${$(query.tenant)}`, `(${after} IS NULL OR id > ${after})`];
  for (const [field, value] of Object.entries(query.where ?? {})) {
    if (value === undefined) continue;
    if (!fields.includes(field)) throw new TypeError(`postgres: listRecords cannot filter ${query.kind} by ${field}`);
    where.push(`data->>'${field}' = ${$(value)}`);
  }
  const rows = await db.direct.rows<Found>(
    `SELECT kind, rev, data::text AS doc FROM ${db.t.records} WHERE ${where.join(' AND ')} ORDER BY id LIMIT ${$(query.limit)}`,
    values,
  );
  return rows.map(toStored) as Stored<K>[];
}

/**
 * When a live secret's rotation is due: a pending version at once (before any time), else at
 * `rotation_next_at`: the expression and WHERE of `secrets_rotation_due_idx`.
 */
const ROTATION_DUE_AT = `(CASE WHEN s.pending_version IS NOT NULL THEN '-9223372036854775808'::bigint ELSE s.rotation_next_at END)`;
const ROTATING = 's.trashed_at IS NULL AND (s.pending_version IS NOT NULL OR s.rotation_next_at IS NOT NULL)';
const SECRETS = (db: Db) =>
  `SELECT ${listedSecretColumns(db.t)} FROM ${db.t.secrets} s`;

export async function listDue<Q extends DueQuery>(db: Db, query: Q): Promise<DueResult<Q>> {
  const secrets = async (text: string, values: unknown[]) => (await db.direct.rows(text, values)).map(storedSecret);
  switch (query.due) {
    case 'rotation':
      return (await secrets(
        `${SECRETS(db)} WHERE ${ROTATING} AND ${ROTATION_DUE_AT} <= $1 ORDER BY ${ROTATION_DUE_AT}, s.tenant, s.path LIMIT $2`,
        [query.now, query.limit],
      )) as DueResult<Q>;
    case 'purge':
      return (await secrets(
        `${SECRETS(db)} WHERE s.trashed_at IS NOT NULL AND s.purge_at <= $1 ORDER BY s.purge_at, s.tenant, s.path LIMIT $2`,
        [query.now, query.limit],
      )) as DueResult<Q>;
    case 'approval_expiry': {
      const rows = await db.direct.rows<Found>(
        `SELECT kind, rev, data::text AS doc FROM ${db.t.records}
         WHERE kind = 'approval' AND data->>'status' = 'pending' AND (data->>'expiresAt')::bigint <= $1
         ORDER BY (data->>'expiresAt')::bigint, tenant, id LIMIT $2`,
        [query.now, query.limit],
      );
      return rows.map(toStored) as DueResult<Q>;
    }
    case 'expiry':
      return (await listExpiring(db, query)) as DueResult<Q>;
  }
}

/**
 * Live secrets with `from < expires_at <= until` after the keyset. Not one row comparison: the
 * planner estimates `(expires_at, tenant, path) > (…)` by its first column over the whole table and
 * then sorts the rest of the window for every page. Split instead into the secrets tied with the
 * last one and those after it: each branch reads at most `limit` rows of `secrets_expiry_idx` in order.
 */
async function listExpiring(db: Db, query: Extract<DueQuery, { due: 'expiry' }>): Promise<Stored<'secret'>[]> {
  const { after } = query;
  const live = `SELECT s.* FROM ${db.t.secrets} s WHERE s.trashed_at IS NULL`;
  const order = 'ORDER BY s.expires_at, s.tenant, s.path LIMIT $3';
  let text: string;
  let values: unknown[];
  if (after === null || after.expiresAt <= query.from) {
    text = `${live} AND s.expires_at > $1 AND s.expires_at <= $2 ${order}`;
    values = [query.from, query.until, query.limit];
  } else if (after.expiresAt > query.until) {
    return [];
  } else {
    text = `(${live} AND s.expires_at = $1 AND (s.expires_at, s.tenant, s.path) > ($1, $4, $5) ${order})
      UNION ALL
      (${live} AND s.expires_at > $1 AND s.expires_at <= $2 ${order})`;
    values = [after.expiresAt, query.until, query.limit, after.tenant, after.path];
  }
  const rows = await db.direct.rows(
    `SELECT ${listedSecretColumns(db.t)} FROM (${text}) s
     ORDER BY s.expires_at, s.tenant, s.path LIMIT $3`,
    values,
  );
  return rows.map(storedSecret);
}

export async function listWrappedKeys(
  db: Db,
  query: StorageInput<'listWrappedKeys'>,
): Promise<Array<VersionKey & { wrappedKey: WrappedKey; rev: number }>> {
  const values: unknown[] = [];
  const $ = placeholder(values);
  const where: string[] = [];
  const { after } = query;
  if (after) where.push(`(tenant, path, version) > (${$(after.tenant)}, ${$(after.path)}, ${$(after.version)})`);
  if (query.notKeyId !== undefined) where.push(`key_id <> ${$(query.notKeyId)}`);
  const rows = await db.direct.rows(
    `SELECT tenant, path, version, key_id, wrapped_key, rev FROM ${db.t.versions}
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY tenant, path, version LIMIT ${$(query.limit)}`,
    values,
  );
  return rows.map((row) => ({
    tenant: row.tenant as string,
    path: row.path as string,
    version: num(row.version),
    wrappedKey: { keyId: row.key_id as string, ciphertext: bytes(row.wrapped_key) },
    rev: num(row.rev),
  }));
}

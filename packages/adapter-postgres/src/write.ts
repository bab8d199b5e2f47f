/**
 * `writeVersion`: ONE statement. `create` inserts the secret (ON CONFLICT DO NOTHING: a concurrent
 * create of the path waits for the first and then finds it); `append` and `stage` are one
 * conditional UPDATE of the secret row (`latest_version = n - 1`, the expected current version, not
 * trashed, and for `stage` no pending version). Under READ COMMITTED the UPDATE waits for a
 * concurrent writer's row lock and re-checks its WHERE on the row that writer committed, so of
 * concurrent writes of one number exactly one matches. The version row, the retirement of the
 * replaced version and the event are written only from the row the write produced; none → conflict.
 */
import type { Stored, StorageInput } from '@agentvault/core';
import { AgentVaultConflictError } from '@agentvault/core/errors';
import { appendOneCtes, draftValues } from './audit';
import type { Query } from './db';
import { json, SECRET_FIELDS, secretValues, toSecret, VERSION_FIELDS, versionValues } from './rows';
import type { Tables } from './tables';

const list = (from: number, count: number) => Array.from({ length: count }, (_, i) => `$${from + i}`).join(', ');

const typed = (from: number, types: string) => types.split(' ').map((type, i) => `$${from + i}::${type}`).join(', ');
const VERSION_ROW = (from: number) => typed(from, 'text text integer bytea text bytea bigint text bigint');

/** The event's 13 parameters from `$from` as an audit_events row, numbered by `counter c`. */
const eventRow = (from: number) =>
  `$${from}::text, $${from + 1}::text, c.seq, ${typed(from + 2, 'text text text text text text bigint json boolean text integer')} FROM counter c`;

/** A column the patch of an append sets: `$3 ? field` tells an absent key (kept) from null (cleared). */
const patched = (column: string, field: string, cast: string, path = `$3::jsonb->>'${field}'`) =>
  `${column} = CASE WHEN $4 = 'append' AND $3::jsonb ? '${field}' THEN (${path})${cast} ELSE s.${column} END`;
const rotation = (column: string, field: string) =>
  patched(column, 'rotation', '::bigint', `$3::jsonb->'rotation'->>'${field}'`);

/** $1 tenant, $2 path, $3 patch, $4 mode, $5 expected current, $6 retirePreviousAt, $7..$15 the version, $16.. the event. */
const updateStatement = (t: Tables) => `WITH upd AS (
    UPDATE ${t.secrets} s SET
      current_version = CASE WHEN $4 = 'append' THEN $9::integer ELSE s.current_version END,
      pending_version = CASE WHEN $4 = 'stage' THEN $9::integer ELSE s.pending_version END,
      latest_version = $9::integer,
      ${patched('type', 'type', '')},
      ${patched('tier', 'tier', '')},
      ${patched('description', 'description', '')},
      ${patched('tags', 'tags', '', '$3::jsonb->\'tags\'')},
      ${patched('expires_at', 'expiresAt', '::bigint')},
      ${rotation('rotation_every_seconds', 'everySeconds')},
      ${rotation('rotation_grace_seconds', 'gracePeriodSeconds')},
      ${rotation('rotation_next_at', 'nextAt')},
      ${rotation('rotation_failures', 'failures')},
      ${patched('version_retention', 'versionRetention', '', '$3::jsonb->\'versionRetention\'')},
      updated_at = CASE WHEN $4 = 'append' THEN $13::bigint ELSE s.updated_at END,
      updated_by = CASE WHEN $4 = 'append' THEN $14::text ELSE s.updated_by END,
      rev = s.rev + 1
    WHERE s.tenant = $1 AND s.path = $2 AND s.trashed_at IS NULL AND s.latest_version = $9::integer - 1
      AND s.current_version = $5 AND ($4 = 'append' OR s.pending_version IS NULL)
    RETURNING s.*
  ),
  retire AS (
    UPDATE ${t.versions} v SET retires_at = $6, rev = v.rev + 1 FROM upd
    WHERE $4 = 'append' AND $6::bigint IS NOT NULL AND v.tenant = $1 AND v.path = $2 AND v.version = $5
  ),
  ver AS (INSERT INTO ${t.versions} (${VERSION_FIELDS.join(', ')}) SELECT ${VERSION_ROW(7)} FROM upd),
  ${appendOneCtes(t, '$17', 'upd', eventRow(16))}
  SELECT upd.*, a.accessed_at FROM upd LEFT JOIN ${t.access} a ON a.tenant = upd.tenant AND a.path = upd.path`;

/** $1..$21 the secret, $22 accessedAt, $23..$31 the version, $32.. the event. */
const createStatement = (t: Tables) => `WITH ins AS (
    INSERT INTO ${t.secrets} (${SECRET_FIELDS.join(', ')}) VALUES (${list(1, 21)})
    ON CONFLICT DO NOTHING RETURNING *
  ),
  acc AS (INSERT INTO ${t.access} (tenant, path, accessed_at) SELECT tenant, path, $22::bigint FROM ins),
  ver AS (INSERT INTO ${t.versions} (${VERSION_FIELDS.join(', ')}) SELECT ${VERSION_ROW(23)} FROM ins),
  ${appendOneCtes(t, '$33', 'ins', eventRow(32))}
  SELECT ins.*, $22::bigint AS accessed_at FROM ins`;

/** The statements of `writeVersion` in the schema of `t`, built once per adapter. */
export const writeStatements = (t: Tables) => ({ create: createStatement(t), update: updateStatement(t) });

export async function writeVersion(
  q: Query,
  sql: ReturnType<typeof writeStatements>,
  input: StorageInput<'writeVersion'>,
): Promise<Stored<'secret'>> {
  const v = input.version;
  const e = input.event;
  const event = [...draftValues(e), e.success, e.error, e.version];
  const rows =
    input.mode === 'create'
      ? await q.rows(sql.create, [
          ...secretValues(input.secret!), input.secret!.accessedAt, ...versionValues(v), ...event,
        ])
      : await q.rows(sql.update, [
          v.tenant, v.path, json(input.patch), input.mode, input.expectedCurrentVersion, input.retirePreviousAt,
          ...versionValues(v), ...event,
        ]);
  const row = rows[0];
  if (!row) {
    throw new AgentVaultConflictError(
      `postgres: ${input.mode} of version ${v.version} of ${v.path} lost: the secret changed, is missing or is trashed`,
    );
  }
  return { kind: 'secret', record: toSecret(row), rev: Number(row.rev) };
}

/**
 * Records by key and the conditional commit. Secrets and versions keep their own tables (the hot
 * path and the listings read their columns); every other kind is a jsonb document in `records`.
 *
 * `commit` is one READ COMMITTED transaction, one statement per write, in order, then the events:
 * - put absent: INSERT … ON CONFLICT DO NOTHING (a concurrent insert of the key, or of a credential
 *   hash, waits for the first and then inserts nothing);
 * - put / delete at rev n: UPDATE / DELETE … WHERE rev = n, which waits for a concurrent writer's
 *   row lock and re-checks `rev` on the row it committed;
 * - check at rev n: SELECT … WHERE rev = n FOR SHARE, holding the row unchanged until commit.
 * A write that affects no row is the conflict: ROLLBACK, AgentVaultConflictError naming it.
 */
import { commitConflictError, type RecordKey, type RecordWrite, recordKey, type StorageAdapter, type StorageInput, type Stored } from '@agentvault/core';
import { appendEvents } from './audit';
import type { Db, Query } from './db';
import { sqlState } from './errors';
import {
  decodeRecord, encodeRecord, SECRET_FIELDS, secretValues, toSecret, toVersion, VERSION_FIELDS, versionValues,
} from './rows';
import type { Tables } from './tables';

/** A record as read back: its kind, revision and document (jsonb text). */
export type Found = { kind: string; rev: number; doc: string };

/** The table and WHERE clause (parameters from $1) of a key. */
function locate(t: Tables, key: RecordKey): { table: string; where: string; values: unknown[] } {
  if (key.kind === 'secret') return { table: t.secrets, where: 'tenant = $1 AND path = $2', values: [key.tenant, key.path] };
  if (key.kind === 'version') {
    return {
      table: t.versions,
      where: 'tenant = $1 AND path = $2 AND version = $3',
      values: [key.tenant, key.path, key.version],
    };
  }
  return { table: t.records, where: 'kind = $1 AND tenant = $2 AND id = $3', values: [key.kind, key.tenant, key.id] };
}

export function toStored(row: Found): Stored {
  if (row.kind === 'secret') return { kind: 'secret', record: toSecret(JSON.parse(row.doc)), rev: row.rev };
  if (row.kind === 'version') return { kind: 'version', record: toVersion(JSON.parse(row.doc)), rev: row.rev };
  return { kind: row.kind, record: decodeRecord(row.doc), rev: row.rev } as Stored;
}

/** Every key in one statement: one lookup per table over the keys of its kind, tagged with their index. */
export async function getRecords(db: Db, keys: RecordKey[]): Promise<Array<Stored | null>> {
  const secrets: [number[], string[], string[]] = [[], [], []];
  const versions: [number[], string[], string[], number[]] = [[], [], [], []];
  const others: [number[], string[], string[], string[]] = [[], [], [], []];
  keys.forEach((key, i) => {
    if (key.kind === 'secret') [i, key.tenant, key.path].forEach((v, c) => (secrets[c] as unknown[]).push(v));
    else if (key.kind === 'version') {
      [i, key.tenant, key.path, key.version].forEach((v, c) => (versions[c] as unknown[]).push(v));
    } else [i, key.kind, key.tenant, key.id].forEach((v, c) => (others[c] as unknown[]).push(v));
  });
  const t = db.t;
  const rows = await db.direct.rows<Found & { i: number }>(
    `SELECT k.i, 'secret' AS kind, s.rev, (to_jsonb(s) || jsonb_build_object('accessed_at', a.accessed_at))::text AS doc
     FROM unnest($1::int[], $2::text[], $3::text[]) AS k (i, tenant, path)
     JOIN ${t.secrets} s ON s.tenant = k.tenant AND s.path = k.path
     LEFT JOIN ${t.access} a ON a.tenant = s.tenant AND a.path = s.path
     UNION ALL
     SELECT k.i, 'version', v.rev, to_jsonb(v)::text
     FROM unnest($4::int[], $5::text[], $6::text[], $7::int[]) AS k (i, tenant, path, version)
     JOIN ${t.versions} v ON v.tenant = k.tenant AND v.path = k.path AND v.version = k.version
     UNION ALL
     SELECT k.i, r.kind, r.rev, r.data::text
     FROM unnest($8::int[], $9::text[], $10::text[], $11::text[]) AS k (i, kind, tenant, id)
     JOIN ${t.records} r ON r.kind = k.kind AND r.tenant = k.tenant AND r.id = k.id`,
    [...secrets, ...versions, ...others],
  );
  const found: Array<Stored | null> = keys.map(() => null);
  for (const row of rows) found[row.i] = toStored(row);
  return found;
}

export async function findCredential(q: Query, t: Tables, hash: string): ReturnType<StorageAdapter['findCredential']> {
  const row = await q.one<Found>(
    `SELECT kind, rev, data::text AS doc FROM ${t.records}
     WHERE data->>'hash' = $1 AND kind IN ('token', 'agent_key')`,
    [hash],
  );
  return row ? (toStored(row) as Stored<'token'> | Stored<'agent_key'>) : null;
}

/** One write as one statement; returns how many rows it matched. */
async function apply(q: Query, t: Tables, write: RecordWrite): Promise<number> {
  const key = keyOfWrite(write);
  const { table, where, values } = locate(t, key);
  const n = values.length + 1;
  const count = async (text: string, extra: unknown[]) =>
    Number((await q.one<{ n: string }>(text, [...values, ...extra]))!.n);
  if (write.op === 'check') {
    return write.expect === 'absent'
      ? 1 - (await count(`SELECT count(*) AS n FROM ${table} WHERE ${where}`, []))
      : count(`SELECT count(*) AS n FROM (SELECT 1 FROM ${table} WHERE ${where} AND rev = $${n} FOR SHARE) x`, [write.expect]);
  }
  if (write.op === 'delete') {
    return count(`WITH d AS (DELETE FROM ${table} WHERE ${where} AND rev = $${n} RETURNING 1) SELECT count(*) AS n FROM d`, [
      write.expect,
    ]);
  }
  let columns: string[];
  let row: unknown[];
  let access = '';
  if (write.kind === 'secret') {
    columns = SECRET_FIELDS;
    row = [...secretValues(write.record), write.record.accessedAt];
    // accessedAt only moves forward: a put never undoes a concurrent read's touch.
    access = write.expect === 'absent'
      ? `, acc AS (INSERT INTO ${t.access} (tenant, path, accessed_at) SELECT tenant, path, $${columns.length + 1}::bigint FROM w)`
      : `, acc AS (UPDATE ${t.access} a SET accessed_at = GREATEST(a.accessed_at, $${columns.length + 1}::bigint)
          FROM w WHERE a.tenant = w.tenant AND a.path = w.path)`;
  } else if (write.kind === 'version') {
    columns = VERSION_FIELDS;
    row = versionValues(write.record);
  } else {
    columns = ['kind', 'tenant', 'id', 'data'];
    row = [...values, encodeRecord(write.record)];
  }
  const params = columns.map((_, i) => `$${i + 1}`).join(', ');
  if (write.expect === 'absent') {
    const text = `WITH w AS (INSERT INTO ${table} (${columns.join(', ')}, rev) VALUES (${params}, 1)
      ON CONFLICT DO NOTHING RETURNING *)${access} SELECT count(*) AS n FROM w`;
    return Number((await q.one<{ n: string }>(text, row))!.n);
  }
  const keyWhere = where.replace(/\$(\d+)/g, (_, i: string) => `$${Number(i) + row.length}`);
  const text = `WITH w AS (UPDATE ${table} SET (${columns.join(', ')}, rev) = (${params}, rev + 1)
    WHERE ${keyWhere} AND rev = $${row.length + values.length + 1} RETURNING *)${access} SELECT count(*) AS n FROM w`;
  return Number((await q.one<{ n: string }>(text, [...row, ...values, write.expect]))!.n);
}

const keyOfWrite = (write: RecordWrite): RecordKey =>
  write.op === 'put' ? recordKey(write.kind, write.record) : write.key;

/** The rev a write leaves: a put's new rev, 0 for a delete or an absent check. */
const revAfter = (write: RecordWrite): number =>
  write.op === 'put' ? (write.expect === 'absent' ? 1 : write.expect + 1) : write.op === 'delete' || write.expect === 'absent' ? 0 : write.expect;

const conflict = (index: number, key: RecordKey, cause?: unknown) =>
  Object.assign(commitConflictError({ index, key }, `postgres: write ${index} of the commit found another revision`), {
    cause,
  });

export async function commit(db: Db, input: StorageInput<'commit'>): Promise<number[]> {
  const { writes, events } = input;
  const tenants = new Set([...writes.map((w) => keyOfWrite(w).tenant), ...events.map((e) => e.tenant)]);
  tenants.delete('*'); // STORE_TENANT (a type-only export of core)
  if (tenants.size > 1) throw new TypeError('postgres: a commit may not span tenants');
  if (writes.length === 0) {
    if (events.length > 0) await appendEvents(db.direct, db.t, events);
    return [];
  }
  return db.transaction(async (q) => {
    const revs: number[] = [];
    for (const [index, write] of writes.entries()) {
      let matched: number;
      try {
        matched = await apply(q, db.t, write);
      } catch (error) {
        // A duplicate credential hash, or a deadlock with a commit locking the same rows the other way: the write lost.
        if (['23505', '40P01'].includes(sqlState(error) ?? '')) throw conflict(index, keyOfWrite(write), error);
        throw error;
      }
      if (matched !== 1) throw conflict(index, keyOfWrite(write));
      revs.push(revAfter(write));
    }
    if (events.length > 0) await appendEvents(q, db.t, events);
    return revs;
  });
}

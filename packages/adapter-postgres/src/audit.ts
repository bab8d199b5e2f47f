/**
 * The audit trail: events in `audit_events`, one head row per (tenant, chain) in `audit_heads`.
 * Appending is one upsert of the head (`seq + 1`, `hash = sha256(head hash ‖ digest ‖ outcome label)`,
 * computed by the server so the head and its event change together) and one insert of the event.
 * The upsert locks the head row and reads its latest committed version, so concurrent appends to
 * a chain queue up and the chain stays gapless; a duplicate event id aborts the whole statement.
 */
import {
  type AuditChainHead,
  type AuditEvent,
  type AuditEventInput,
  type AuditQuery,
  outcomeLabel,
  type StorageInput,
} from '@agentvault/core';
import { AgentVaultConflictError } from '@agentvault/core/errors';
import type { Db, Query } from './db';
import { isUniqueViolation } from './errors';
import { GENESIS_SQL } from './migrations';
import { AUDIT_COLUMNS, json, num, toAuditEvent } from './rows';
import type { Tables } from './tables';

/** The bytes hashed after the previous hash: digest ‖ UTF-8 outcome label. */
export function linkTail(digest: string, outcome: Parameters<typeof outcomeLabel>[0]): Buffer {
  return Buffer.concat([Buffer.from(digest, 'hex'), Buffer.from(outcomeLabel(outcome), 'utf8')]);
}

export interface Statement {
  text: string;
  values: unknown[];
}

/**
 * The two CTEs (`audit_head`, `audit_event`) that append `event`, numbering parameters from
 * `$<first>`; the caller prefixes `WITH` and adds its own CTEs and final SELECT.
 */
export function auditCtes(t: Tables, event: AuditEventInput, first: number): Statement {
  const p = (i: number) => `$${first + i}`;
  const text = `audit_head AS (
    INSERT INTO ${t.auditHeads} AS h (tenant, chain, seq, hash)
    VALUES (${p(1)}, ${p(2)}, 1, sha256(${GENESIS_SQL} || ${p(14)}::bytea))
    ON CONFLICT (tenant, chain) DO UPDATE SET seq = h.seq + 1, hash = sha256(h.hash || ${p(14)}::bytea)
    RETURNING seq, hash
  ),
  audit_event AS (
    INSERT INTO ${t.auditEvents} (${AUDIT_COLUMNS})
    SELECT ${p(0)}, ${p(1)}, ${p(2)}, audit_head.seq, audit_head.hash, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)},
      ${p(7)}, ${p(8)}, ${p(9)}, ${p(10)}::json, ${p(11)}, ${p(12)}, ${p(13)}
    FROM audit_head
    RETURNING id
  )`;
  const values = [
    event.id,
    event.tenant,
    event.chain,
    event.type,
    event.path,
    event.actor,
    event.actorDescription,
    event.ip,
    event.userAgent,
    event.timestamp,
    json(event.details),
    event.success,
    event.error,
    event.version,
    linkTail(event.digest, event),
  ];
  return { text, values };
}

export function duplicateEvent(error: unknown, id: string): unknown {
  return isUniqueViolation(error, 'audit_events_pkey')
    ? new AgentVaultConflictError(`postgres: audit event ${id} already exists`, { cause: error })
    : error;
}

/** Append one event on its own (one statement) or inside a caller's transaction. */
export async function appendAudit(q: Query, t: Tables, event: AuditEventInput): Promise<void> {
  const { text, values } = auditCtes(t, event, 1);
  try {
    await q.rows(`WITH ${text} SELECT count(*) FROM audit_event`, values);
  } catch (error) {
    throw duplicateEvent(error, event.id);
  }
}

export async function queryAudit(db: Db, query: AuditQuery): Promise<AuditEvent[]> {
  const t = db.t;
  const values: unknown[] = [query.tenant];
  const where = ['tenant = $1'];
  const add = (clause: (n: string) => string, value: unknown) => {
    values.push(value);
    where.push(clause(`$${values.length}`));
  };
  if (query.namespace !== undefined && query.namespace !== '') {
    add((n) => `path >= ${n}`, `${query.namespace}/`);
    add((n) => `path < ${n}`, `${query.namespace}0`);
  } else if (query.namespace === '') where.push('path IS NOT NULL');
  if (query.path !== undefined) add((n) => `path = ${n}`, query.path);
  if (query.actor !== undefined) add((n) => `actor = ${n}`, query.actor);
  if (query.types !== undefined) add((n) => `type = ANY(${n}::text[])`, query.types);
  if (query.since !== undefined) add((n) => `ts >= ${n}`, query.since);
  if (query.until !== undefined) add((n) => `ts < ${n}`, query.until);
  if (query.success !== undefined) add((n) => `success = ${n}`, query.success);
  const dir = query.order === 'asc' ? 'ASC' : 'DESC';
  if (query.after !== null) {
    values.push(query.after.timestamp, query.after.id);
    const cmp = query.order === 'asc' ? '>' : '<';
    where.push(`(ts, id) ${cmp} ($${values.length - 1}, $${values.length})`);
  }
  values.push(query.limit);
  const rows = await db.rows(
    `SELECT ${AUDIT_COLUMNS} FROM ${t.auditEvents} WHERE ${where.join(' AND ')}
     ORDER BY ts ${dir}, id ${dir} LIMIT $${values.length}`,
    values,
  );
  return rows.map(toAuditEvent);
}

export async function readAuditChain(
  db: Db,
  query: StorageInput<'readAuditChain'>,
): Promise<AuditEvent[]> {
  const rows = await db.rows(
    `SELECT ${AUDIT_COLUMNS} FROM ${db.t.auditEvents}
     WHERE tenant = $1 AND chain = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
    [query.tenant, query.chain, query.afterSeq, query.limit],
  );
  return rows.map(toAuditEvent);
}

export async function auditHeads(db: Db, tenant: string): Promise<AuditChainHead[]> {
  const rows = await db.rows<{ chain: number; seq: string; hash: Buffer }>(
    `SELECT chain, seq, hash FROM ${db.t.auditHeads} WHERE tenant = $1 ORDER BY chain`,
    [tenant],
  );
  return rows.map((row) => ({ chain: num(row.chain), seq: num(row.seq), hash: row.hash.toString('hex') }));
}

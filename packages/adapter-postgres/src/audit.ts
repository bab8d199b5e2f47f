/**
 * The audit trail: events in `audit_events`, numbered per tenant from one counter row per tenant in
 * `audit_counters`. An append raises the counter and inserts its events in the same statement or
 * transaction: the upsert locks the row until commit, so concurrent appends of a tenant queue there
 * and a rolled-back append gives its numbers back (gapless). No hash is computed here: core seals.
 */
import type { AuditDraft, AuditEvent, AuditEventInput, AuditQuery } from '@agentvault/core';
import { type Db, placeholder, type Query, underNamespace } from './db';
import { AUDIT_COLUMNS, json, toAuditEvent } from './rows';
import type { Tables } from './tables';

/**
 * CTEs `counter` and `audit_event` appending one event of tenant `tenant` (a parameter) when
 * `source` (a CTE name) has a row; `select` is the event row after SELECT, reading `counter c`.
 * Selecting from `source` first makes the counter the statement's last lock.
 */
export function appendOneCtes(t: Tables, tenant: string, source: string, select: string): string {
  return `counter AS (
    INSERT INTO ${t.auditCounters} AS c (tenant, seq) SELECT ${tenant}::text, 1 FROM ${source}
    ON CONFLICT (tenant) DO UPDATE SET seq = c.seq + 1
    RETURNING seq
  ),
  audit_event AS (
    INSERT INTO ${t.auditEvents} (${AUDIT_COLUMNS})
    SELECT ${select}
    RETURNING id
  )`;
}

/** An event's columns before `seq` and its outcome, as statement parameters in column order. */
export const draftValues = (e: AuditDraft): unknown[] => [
  e.id, e.tenant, e.type, e.path, e.actor, e.actorDescription, e.ip, e.userAgent, e.timestamp, json(e.details),
];

/** The events of `appendEvents` as sent, one JSON object each, as a record type for json_to_recordset. */
const EVENT_RECORD = `id text, tenant text, type text, path text, actor text, "actorDescription" text, ip text,
  "userAgent" text, "timestamp" bigint, details json, success boolean, error text, version integer, ord integer`;

/** Append events (any tenants, in order) in one statement; inside a commit's transaction, last. */
export async function appendEvents(q: Query, t: Tables, events: AuditEventInput[]): Promise<void> {
  await q.rows(
    `WITH ev AS (SELECT * FROM json_to_recordset($1::json) AS e (${EVENT_RECORD})),
    n AS (SELECT tenant, count(*) AS n FROM ev GROUP BY tenant),
    counter AS (
      INSERT INTO ${t.auditCounters} AS c (tenant, seq) SELECT tenant, n FROM n ORDER BY tenant
      ON CONFLICT (tenant) DO UPDATE SET seq = c.seq + excluded.seq
      RETURNING tenant, seq
    )
    INSERT INTO ${t.auditEvents} (${AUDIT_COLUMNS})
    SELECT ev.id, ev.tenant, c.seq - n.n + row_number() OVER (PARTITION BY ev.tenant ORDER BY ev.ord), ev.type, ev.path,
      ev.actor, ev."actorDescription", ev.ip, ev."userAgent", ev."timestamp", ev.details, ev.success, ev.error, ev.version
    FROM ev JOIN n ON n.tenant = ev.tenant JOIN counter c ON c.tenant = ev.tenant`,
    [JSON.stringify(events.map((event, ord) => ({ ...event, ord })))],
  );
}

export async function queryAudit(db: Db, query: AuditQuery): Promise<AuditEvent[]> {
  const values: unknown[] = [];
  const $ = placeholder(values);
  const where = [`tenant = ${$(query.tenant)}`];
  if (query.namespace === '') where.push('path IS NOT NULL');
  else if (query.namespace !== undefined) where.push(...underNamespace('path', query.namespace, $));
  if (query.path !== undefined) where.push(`path = ${$(query.path)}`);
  if (query.actor !== undefined) where.push(`actor = ${$(query.actor)}`);
  if (query.types !== undefined) where.push(`type = ANY(${$(query.types)}::text[])`);
  if (query.since !== undefined) where.push(`ts >= ${$(query.since)}`);
  if (query.until !== undefined) where.push(`ts < ${$(query.until)}`);
  if (query.success !== undefined) where.push(`success = ${$(query.success)}`);
  const dir = query.order === 'asc' ? 'ASC' : 'DESC';
  if (query.after !== null) {
    where.push(`(ts, id) ${query.order === 'asc' ? '>' : '<'} (${$(query.after.timestamp)}, ${$(query.after.id)})`);
  }
  const rows = await db.direct.rows(
    `SELECT ${AUDIT_COLUMNS} FROM ${db.t.auditEvents} WHERE ${where.join(' AND ')}
     ORDER BY ts ${dir}, id ${dir} LIMIT ${$(query.limit)}`,
    values,
  );
  return rows.map(toAuditEvent);
}

export async function readAudit(db: Db, query: { tenant: string; afterSeq: number; limit: number }): Promise<AuditEvent[]> {
  const rows = await db.direct.rows(
    `SELECT ${AUDIT_COLUMNS} FROM ${db.t.auditEvents} WHERE tenant = $1 AND seq > $2 ORDER BY seq, id LIMIT $3`,
    [query.tenant, query.afterSeq, query.limit],
  );
  return rows.map(toAuditEvent);
}

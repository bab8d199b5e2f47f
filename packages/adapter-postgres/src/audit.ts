/**
 * The audit trail: events in `audit_events`, numbered per tenant from one counter row per tenant in
 * `audit_counters`. An append raises the counter and inserts its events in the same statement or
 * transaction: the upsert locks the row until commit, so concurrent appends of a tenant queue there
 * and a rolled-back append gives its numbers back (gapless). No hash is computed here: core seals.
 */
import type { AuditEvent, AuditEventInput, AuditQuery } from '@agentvault/core';
import type { Db, Query } from './db';
import { AUDIT_COLUMNS, toAuditEvent } from './rows';
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

const EVENT_RECORD = `id text, tenant text, type text, path text, actor text, actor_description text, ip text,
  user_agent text, ts bigint, details json, success boolean, error text, version integer, ord integer`;

/** Append events (any tenants, in order) in one statement; inside a commit's transaction, last. */
export async function appendEvents(q: Query, t: Tables, events: AuditEventInput[]): Promise<void> {
  const rows = events.map((e, ord) => ({
    id: e.id, tenant: e.tenant, type: e.type, path: e.path, actor: e.actor, actor_description: e.actorDescription,
    ip: e.ip, user_agent: e.userAgent, ts: e.timestamp, details: e.details, success: e.success, error: e.error,
    version: e.version, ord,
  }));
  await q.rows(
    `WITH ev AS (SELECT * FROM json_to_recordset($1::json) AS e (${EVENT_RECORD})),
    n AS (SELECT tenant, count(*) AS n FROM ev GROUP BY tenant),
    counter AS (
      INSERT INTO ${t.auditCounters} AS c (tenant, seq) SELECT tenant, n FROM n ORDER BY tenant
      ON CONFLICT (tenant) DO UPDATE SET seq = c.seq + excluded.seq
      RETURNING tenant, seq
    )
    INSERT INTO ${t.auditEvents} (${AUDIT_COLUMNS})
    SELECT ev.id, ev.tenant, c.seq - n.n + row_number() OVER (PARTITION BY ev.tenant ORDER BY ev.ord), ev.type,
      ev.path, ev.actor, ev.actor_description, ev.ip, ev.user_agent, ev.ts, ev.details, ev.success, ev.error, ev.version
    FROM ev JOIN n ON n.tenant = ev.tenant JOIN counter c ON c.tenant = ev.tenant`,
    [JSON.stringify(rows)],
  );
}

export async function queryAudit(db: Db, query: AuditQuery): Promise<AuditEvent[]> {
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
    where.push(`(ts, id) ${query.order === 'asc' ? '>' : '<'} ($${values.length - 1}, $${values.length})`);
  }
  values.push(query.limit);
  const rows = await db.direct.rows(
    `SELECT ${AUDIT_COLUMNS} FROM ${db.t.auditEvents} WHERE ${where.join(' AND ')}
     ORDER BY ts ${dir}, id ${dir} LIMIT $${values.length}`,
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

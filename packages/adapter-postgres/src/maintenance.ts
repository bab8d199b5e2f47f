/**
 * What maintenance needs: named leases, the cross-tenant listings (each a range scan of one partial
 * index from migration 2, in the order it returns, so a page costs the same however many secrets
 * the store holds) and expiry-warning claims. Leases and claims are decided by the database under
 * concurrency from any number of instances; times are the caller's (`now`), never the server's.
 */
import type { ApprovalRecord, SecretRecord, StorageInput } from '@agentvault/core';
import { appendAudit } from './audit';
import type { Db } from './db';
import { toApproval, toSecret } from './rows';
import { PAGE_COLUMNS } from './secrets';

/**
 * Take or renew a lease in one statement. ON CONFLICT DO UPDATE locks the existing row and judges
 * the WHERE on its latest committed version, and a concurrent insert of a free name waits for the
 * first one: of concurrent acquirers exactly one gets a free or expired lease.
 */
export async function acquireLease(
  db: Db,
  input: StorageInput<'acquireLease'>,
): Promise<boolean> {
  const rows = await db.rows(
    `INSERT INTO ${db.t.leases} AS l (name, owner, expires_at) VALUES ($1, $2, $4)
     ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
     WHERE l.owner = EXCLUDED.owner OR l.expires_at <= $3
     RETURNING 1`,
    [input.name, input.owner, input.now, input.now + input.ttlMs],
  );
  return rows.length === 1;
}

export async function releaseLease(db: Db, input: StorageInput<'releaseLease'>): Promise<void> {
  await db.rows(`DELETE FROM ${db.t.leases} WHERE name = $1 AND owner = $2`, [input.name, input.owner]);
}

/**
 * When a live secret's rotation is due: a pending version at once (before any time), else at
 * `rotation_next_at`. The same expression, and the same WHERE clauses, as `secrets_rotation_due_idx`
 * in migration 2, so the planner can range-scan that index (test/explain.test.ts checks it does).
 */
const ROTATION_DUE_AT = `(CASE WHEN s.pending_version IS NOT NULL THEN '-9223372036854775808'::bigint ELSE s.rotation_next_at END)`;
const ROTATING = 's.trashed_at IS NULL AND (s.pending_version IS NOT NULL OR s.rotation_next_at IS NOT NULL)';

export async function listDueRotations(db: Db, query: StorageInput<'listDueRotations'>): Promise<SecretRecord[]> {
  const rows = await db.rows(
    `SELECT ${PAGE_COLUMNS(db.t)} FROM ${db.t.secrets} s
     WHERE ${ROTATING} AND ${ROTATION_DUE_AT} <= $1
     ORDER BY ${ROTATION_DUE_AT}, s.tenant, s.path LIMIT $2`,
    [query.now, query.limit],
  );
  return rows.map(toSecret);
}

/**
 * Live secrets with `from < expires_at <= until` after the keyset, in index order. The keyset is
 * not one row comparison: the planner estimates `(expires_at, tenant, path) > (…)` by its first
 * column alone, over the whole table (nulls included), and multiplies that into the window's
 * range; underestimating what is left, it then sorts the rest of the window for every page, which
 * makes a walk quadratic. Split instead into the secrets tied with the last one (`expires_at = a`
 * and the row comparison, so the scan starts inside the tie) and those after it (`a < expires_at
 * <= until`, a range the planner estimates well): each branch reads at most `limit` rows in index
 * order, or what is left of the window when that is little, and the merge sees at most 2 × `limit`.
 */
export async function listExpiringSecrets(
  db: Db,
  query: StorageInput<'listExpiringSecrets'>,
): Promise<SecretRecord[]> {
  const { after } = query;
  const live = `SELECT s.* FROM ${db.t.secrets} s WHERE s.trashed_at IS NULL`;
  const order = 'ORDER BY s.expires_at, s.tenant, s.path LIMIT $3';
  let text: string;
  let values: unknown[];
  if (after === null || after.expiresAt <= query.from) {
    // Every secret of the window comes after the keyset.
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
  const rows = await db.rows(
    `SELECT ${PAGE_COLUMNS(db.t)} FROM (${text}) s ORDER BY s.expires_at, s.tenant, s.path LIMIT $3`,
    values,
  );
  return rows.map(toSecret);
}

export async function listPurgeableSecrets(db: Db, query: StorageInput<'listPurgeableSecrets'>): Promise<SecretRecord[]> {
  const rows = await db.rows(
    `SELECT ${PAGE_COLUMNS(db.t)} FROM ${db.t.secrets} s
     WHERE s.trashed_at IS NOT NULL AND s.purge_at <= $1
     ORDER BY s.purge_at, s.tenant, s.path LIMIT $2`,
    [query.now, query.limit],
  );
  return rows.map(toSecret);
}

/**
 * The claim row and the event commit together. A concurrent claim of the same warning waits on the
 * first one's insert and then finds the row (false); if the first rolled back, it claims instead.
 */
export async function claimExpiryWarning(
  db: Db,
  input: StorageInput<'claimExpiryWarning'>,
): Promise<boolean> {
  return db.transaction(async (q) => {
    const claimed = await q.rows(
      `INSERT INTO ${db.t.expiryWarnings} (tenant, path, expires_at, kind) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [input.tenant, input.path, input.expiresAt, input.kind],
    );
    if (claimed.length === 0) return false;
    await appendAudit(q, db.t, input.event);
    return true;
  });
}

export async function listExpiredApprovals(db: Db, query: StorageInput<'listExpiredApprovals'>): Promise<ApprovalRecord[]> {
  const rows = await db.rows(
    `SELECT * FROM ${db.t.approvals} WHERE status = 'pending' AND expires_at <= $1
     ORDER BY expires_at, id LIMIT $2`,
    [query.now, query.limit],
  );
  return rows.map(toApproval);
}

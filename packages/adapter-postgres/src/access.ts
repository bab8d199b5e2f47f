/** Agent keys, scoped tokens and approval requests. Writes are one transaction each, audit included. */
import type {
  AgentKeyRecord,
  ApprovalRecord,
  ApprovalStatus,
  StorageInput,
  TokenRecord,
  TokenUseOutcome,
} from '@agentvault/core';
import {
  AgentVaultAuthError,
  AgentVaultConflictError,
  AgentVaultNotFoundError,
} from '@agentvault/core/errors';
import { appendAudit } from './audit';
import type { Db } from './db';
import { useTokenStatement } from './read';
import { json, num, toAgentKey, toApproval, tokenValues, toToken } from './rows';

// ── agent keys ───────────────────────────────────────────────────────────────

export async function createAgentKey(db: Db, input: StorageInput<'createAgentKey'>) {
  const { key } = input;
  await db.transaction(async (q) => {
    const inserted = await q.rows(
      `INSERT INTO ${db.t.agentKeys} (id, tenant, hash, description, roles, created_at, created_by, revoked_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING 1`,
      [
        key.id,
        key.tenant,
        key.hash,
        key.description,
        json(key.roles),
        key.createdAt,
        key.createdBy,
        key.revokedAt,
      ],
    );
    if (inserted.length === 0) throw new AgentVaultConflictError('agent key already exists');
    await appendAudit(q, db.t, input.event);
  });
}

export async function findAgentKey(db: Db, hash: string): Promise<AgentKeyRecord | null> {
  const row = await db.hot.one(`SELECT * FROM ${db.t.agentKeys} WHERE hash = $1`, [hash]);
  return row ? toAgentKey(row) : null;
}

export async function listAgentKeys(db: Db, tenant: string): Promise<AgentKeyRecord[]> {
  const rows = await db.rows(`SELECT * FROM ${db.t.agentKeys} WHERE tenant = $1 ORDER BY created_at, id`, [
    tenant,
  ]);
  return rows.map(toAgentKey);
}

export async function revokeAgentKey(
  db: Db,
  input: StorageInput<'revokeAgentKey'>,
): Promise<AgentKeyRecord> {
  return db.transaction(async (q) => {
    const row = await q.one(
      `UPDATE ${db.t.agentKeys} SET revoked_at = COALESCE(revoked_at, $3)
       WHERE id = $1 AND tenant = $2 RETURNING *`,
      [input.id, input.tenant, input.now],
    );
    if (!row) throw new AgentVaultNotFoundError(`agent key not found: '${input.id}'`);
    await appendAudit(q, db.t, input.event);
    return toAgentKey(row);
  });
}

// ── tokens ───────────────────────────────────────────────────────────────────

const INSERT_TOKEN = (table: string) =>
  `INSERT INTO ${table} (id, tenant, hash, scope, approved_tier, description, allowed_ips, max_uses,
     uses_remaining, created_at, expires_at, issued_by, parent_id, approval_request_id, revoked_at)
   VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $13, $14, $15)
   ON CONFLICT DO NOTHING RETURNING 1`;

export async function createToken(db: Db, input: StorageInput<'createToken'>) {
  const { token } = input;
  await db.transaction(async (q) => {
    if (token.parentId !== null) {
      // FOR SHARE waits for a revocation in flight and blocks one from starting until this commits,
      // so a child is either refused here or visible to the revocation's listing of children.
      const parent = await q.one<{ revoked_at: string | null }>(
        `SELECT revoked_at FROM ${db.t.tokens} WHERE id = $1 AND tenant = $2 FOR SHARE`,
        [token.parentId, token.tenant],
      );
      if (!parent || parent.revoked_at !== null)
        throw new AgentVaultAuthError('The parent token has been revoked');
    }
    const inserted = await q.rows(INSERT_TOKEN(db.t.tokens), tokenValues(token));
    if (inserted.length === 0) throw new AgentVaultConflictError('token already exists');
    await appendAudit(q, db.t, input.event);
  });
}

export async function findToken(db: Db, hash: string): Promise<TokenRecord | null> {
  const row = await db.hot.one(`SELECT * FROM ${db.t.tokens} WHERE hash = $1`, [hash]);
  return row ? toToken(row) : null;
}

export async function getToken(db: Db, tenant: string, id: string): Promise<TokenRecord | null> {
  const row = await db.hot.one(`SELECT * FROM ${db.t.tokens} WHERE id = $1 AND tenant = $2`, [id, tenant]);
  return row ? toToken(row) : null;
}

export async function useToken(
  db: Db,
  input: StorageInput<'useToken'>,
): Promise<{ outcome: TokenUseOutcome; token: TokenRecord | null }> {
  const row = await db.hot.one(useTokenStatement(db.t), [input.tenant, input.id, input.now]);
  const outcome = row!.outcome as TokenUseOutcome;
  return { outcome, token: outcome === 'ok' && row!.id ? toToken(row!) : null };
}

export async function revokeToken(
  db: Db,
  input: StorageInput<'revokeToken'>,
): Promise<TokenRecord> {
  return db.transaction(async (q) => {
    const row = await q.one(
      `UPDATE ${db.t.tokens} SET revoked_at = COALESCE(revoked_at, $3) WHERE id = $1 AND tenant = $2 RETURNING *`,
      [input.id, input.tenant, input.now],
    );
    if (!row) throw new AgentVaultNotFoundError(`token not found: '${input.id}'`);
    await appendAudit(q, db.t, input.event);
    return toToken(row);
  });
}

export async function listTokens(
  db: Db,
  query: StorageInput<'listTokens'>,
): Promise<TokenRecord[]> {
  const values: unknown[] = [query.tenant];
  const where = ['tenant = $1'];
  const add = (clause: (n: string) => string, value: unknown) => {
    values.push(value);
    where.push(clause(`$${values.length}`));
  };
  if (query.parentId !== undefined) add((n) => `parent_id = ${n}`, query.parentId);
  if (query.activeAt !== undefined) {
    add(
      (n) => `revoked_at IS NULL AND expires_at > ${n} AND (uses_remaining IS NULL OR uses_remaining > 0)`,
      query.activeAt,
    );
  }
  if (query.afterId !== null) add((n) => `id > ${n}`, query.afterId);
  values.push(query.limit);
  const rows = await db.rows(
    `SELECT * FROM ${db.t.tokens} WHERE ${where.join(' AND ')} ORDER BY id LIMIT $${values.length}`,
    values,
  );
  return rows.map(toToken);
}

// ── approvals ────────────────────────────────────────────────────────────────

const notFoundApproval = (id: string) => new AgentVaultNotFoundError(`approval request not found: '${id}'`);

export async function createApproval(db: Db, input: StorageInput<'createApproval'>) {
  const a = input.approval;
  await db.transaction(async (q) => {
    const inserted = await q.rows(
      `INSERT INTO ${db.t.approvals} (id, tenant, requested_by, requester_description, request, tier, status,
         decisions, required_approvals, created_at, expires_at, decided_at, claimed_at, token_id)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8::jsonb, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (id) DO NOTHING RETURNING 1`,
      [
        a.id,
        a.tenant,
        a.requestedBy,
        a.requesterDescription,
        json(a.request),
        a.tier,
        a.status,
        json(a.decisions),
        a.requiredApprovals,
        a.createdAt,
        a.expiresAt,
        a.decidedAt,
        a.claimedAt,
        a.tokenId,
      ],
    );
    if (inserted.length === 0) throw new AgentVaultConflictError('approval request already exists');
    await appendAudit(q, db.t, input.event);
  });
}

export async function getApproval(db: Db, tenant: string, id: string): Promise<ApprovalRecord | null> {
  const row = await db.one(`SELECT * FROM ${db.t.approvals} WHERE id = $1 AND tenant = $2`, [id, tenant]);
  return row ? toApproval(row) : null;
}

/** Compare-and-set on status under the row lock: of concurrent decisions only those that fit are kept. */
export async function decideApproval(
  db: Db,
  input: StorageInput<'decideApproval'>,
): Promise<ApprovalRecord> {
  return db.transaction(async (q) => {
    const row = await q.one(
      `SELECT * FROM ${db.t.approvals} WHERE id = $1 AND tenant = $2 FOR NO KEY UPDATE`,
      [input.id, input.tenant],
    );
    if (!row) throw notFoundApproval(input.id);
    const record = toApproval(row);
    if (record.status !== 'pending')
      throw new AgentVaultConflictError(`approval request is already ${record.status}`);
    if (record.expiresAt <= input.now) throw new AgentVaultConflictError('approval request has expired');
    if (record.decisions.some((d) => d.by === input.decision.by))
      throw new AgentVaultConflictError('this approver already decided');
    const decisions = [...record.decisions, { ...input.decision }];
    const approvals = decisions.filter((d) => d.decision === 'approve').length;
    const status: ApprovalStatus =
      input.decision.decision === 'deny'
        ? 'denied'
        : approvals >= record.requiredApprovals
          ? 'approved'
          : 'pending';
    const updated = await q.one(
      `UPDATE ${db.t.approvals} SET decisions = $3::jsonb, status = $4, decided_at = $5
       WHERE id = $1 AND tenant = $2 RETURNING *`,
      [input.id, input.tenant, json(decisions), status, status === 'pending' ? record.decidedAt : input.now],
    );
    await appendAudit(q, db.t, input.event);
    return toApproval(updated!);
  });
}

export async function claimApproval(
  db: Db,
  input: StorageInput<'claimApproval'>,
): Promise<ApprovalRecord> {
  return db.transaction(async (q) => {
    const row = await q.one(
      `SELECT * FROM ${db.t.approvals} WHERE id = $1 AND tenant = $2 FOR NO KEY UPDATE`,
      [input.id, input.tenant],
    );
    if (!row) throw notFoundApproval(input.id);
    const record = toApproval(row);
    if (record.status !== 'approved')
      throw new AgentVaultConflictError(`approval request is ${record.status}`);
    if (record.claimedAt !== null) throw new AgentVaultConflictError('the token was already collected');
    const inserted = await q.rows(INSERT_TOKEN(db.t.tokens), tokenValues(input.token));
    if (inserted.length === 0) throw new AgentVaultConflictError('token already exists');
    const updated = await q.one(
      `UPDATE ${db.t.approvals} SET claimed_at = $3, token_id = $4 WHERE id = $1 AND tenant = $2 RETURNING *`,
      [input.id, input.tenant, input.now, input.token.id],
    );
    await appendAudit(q, db.t, input.event);
    return toApproval(updated!);
  });
}

/** Compare-and-set under the row lock: only a pending request past its deadline becomes expired. */
export async function expireApproval(
  db: Db,
  input: StorageInput<'expireApproval'>,
): Promise<ApprovalRecord> {
  return db.transaction(async (q) => {
    const row = await q.one<{ status: ApprovalStatus; expires_at: string }>(
      `SELECT status, expires_at FROM ${db.t.approvals} WHERE id = $1 AND tenant = $2 FOR NO KEY UPDATE`,
      [input.id, input.tenant],
    );
    if (!row) throw notFoundApproval(input.id);
    if (row.status !== 'pending' || num(row.expires_at) > input.now) {
      throw new AgentVaultConflictError('approval request is not pending past its deadline');
    }
    const updated = await q.one(
      `UPDATE ${db.t.approvals} SET status = 'expired' WHERE id = $1 AND tenant = $2 RETURNING *`,
      [input.id, input.tenant],
    );
    await appendAudit(q, db.t, input.event);
    return toApproval(updated!);
  });
}

export async function listApprovals(
  db: Db,
  query: StorageInput<'listApprovals'>,
): Promise<ApprovalRecord[]> {
  const values: unknown[] = [query.tenant];
  const where = ['tenant = $1'];
  if (query.status !== undefined) {
    values.push(query.status);
    where.push(`status = $${values.length}`);
  }
  if (query.afterId !== null) {
    values.push(query.afterId);
    where.push(`id > $${values.length}`);
  }
  values.push(query.limit);
  const rows = await db.rows(
    `SELECT * FROM ${db.t.approvals} WHERE ${where.join(' AND ')} ORDER BY id LIMIT $${values.length}`,
    values,
  );
  return rows.map(toApproval);
}

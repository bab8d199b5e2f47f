/**
 * The audited read and the token use, each ONE statement (one round trip, one implicit
 * transaction) built from data-modifying CTEs.
 *
 * READ COMMITTED reasoning:
 * - Token with a use limit: `token_locked` takes the row lock with FOR NO KEY UPDATE, which waits
 *   for a concurrent user of the token and then returns the row's *latest committed* version, so
 *   `token_spend` decrements what is really left: of N racing reads of a k-use token exactly k pass.
 * - Token without a limit: checked on the statement's snapshot only, never locked or written, so
 *   one agent's parallel reads do not queue behind each other.
 * - The secret and version are read from the snapshot; nothing in them needs a lock to be judged.
 * - `accessedAt` lives in `secret_access`, which writers never lock. The touch locks that row with
 *   SKIP LOCKED and only moves it forward: a read that finds another read touching the same secret
 *   leaves the touch to it (both happen at once) instead of waiting for its commit.
 * - The audit head upsert waits for the chain's previous append, reads the latest head, and the
 *   event is inserted with the result: the outcome hashed and stored is the outcome returned.
 * A failure anywhere (a duplicate event id included) aborts the statement: nothing changes.
 */
import type { ReadSecretInput, Tier } from '@agentvault/core';
import { TIERS } from '@agentvault/core';
import { GENESIS_SQL } from './migrations';
import { json, SECRET_COLUMNS, VERSION_COLUMNS } from './rows';
import type { Tables } from './tables';

/**
 * CTEs that judge (and for limited tokens, spend) token `$tokenParam` of tenant `$tenantParam` at
 * `$nowParam`, ending in `token_gate(outcome)`. Shared by `readSecret` and `useToken`.
 */
export function tokenGateCtes(t: Tables, tenant: string, tokenId: string, now: string): string {
  return `token_seen AS (
    SELECT id, max_uses, revoked_at, expires_at FROM ${t.tokens}
    WHERE id = ${tokenId}::text AND tenant = ${tenant}::text
  ),
  token_locked AS (
    SELECT id, revoked_at, expires_at, uses_remaining FROM ${t.tokens}
    WHERE id = ${tokenId}::text AND tenant = ${tenant}::text AND max_uses IS NOT NULL
    FOR NO KEY UPDATE
  ),
  token_spend AS (
    UPDATE ${t.tokens} AS tk SET uses_remaining = l.uses_remaining - 1
    FROM token_locked l
    WHERE tk.id = l.id AND l.revoked_at IS NULL AND l.expires_at > ${now}::bigint AND l.uses_remaining > 0
    RETURNING tk.*
  ),
  token_gate AS (
    SELECT CASE
      WHEN ${tokenId}::text IS NULL THEN 'ok'
      WHEN token_seen.id IS NULL THEN 'token_revoked'
      WHEN COALESCE(token_locked.revoked_at, token_seen.revoked_at) IS NOT NULL THEN 'token_revoked'
      WHEN token_seen.expires_at <= ${now}::bigint THEN 'token_expired'
      WHEN token_seen.max_uses IS NULL THEN 'ok'
      WHEN EXISTS (SELECT 1 FROM token_spend) THEN 'ok'
      ELSE 'token_exhausted'
    END AS outcome
    FROM (VALUES (1)) AS one (x)
    LEFT JOIN token_seen ON true
    LEFT JOIN token_locked ON true
  )`;
}

/** Tiers at or below `maxTier`, or null for no limit. */
export function tiersUpTo(maxTier: Tier | null): Tier[] | null {
  return maxTier === null ? null : TIERS.slice(0, TIERS.indexOf(maxTier) + 1);
}

/**
 * Parameters: $1 tenant, $2 path, $3 version, $4 now, $5 readable tiers, $6 token id,
 * $7.. the event: id, tenant, chain, type, path, actor, actor description, ip, user agent,
 * timestamp, details, digest.
 */
export function readSecretStatement(t: Tables, withToken: boolean) {
  // Reads without a token (trusted in-process callers) skip the token CTEs: a smaller plan.
  const gate = withToken
    ? tokenGateCtes(t, '$1', '$6', '$4')
    : `token_gate AS (SELECT 'ok'::text AS outcome WHERE $6::text IS NULL)`;
  return `WITH
  ${gate},
  secret AS (
    SELECT ${SECRET_COLUMNS}
    FROM ${t.secrets} s LEFT JOIN ${t.access} a ON a.tenant = s.tenant AND a.path = s.path
    WHERE s.tenant = $1 AND s.path = $2 AND s.trashed_at IS NULL
  ),
  version AS (
    -- A scalar subquery, so even a generic plan looks the version up by the whole primary key.
    SELECT ${VERSION_COLUMNS} FROM ${t.versions} v
    WHERE v.tenant = $1 AND v.path = $2
      AND v.version = (SELECT COALESCE($3::integer, s.current_version) FROM secret s)
  ),
  verdict AS (
    SELECT CASE
        WHEN g.outcome <> 'ok' THEN g.outcome
        WHEN v.version IS NULL THEN 'not_found'
        WHEN $5::text[] IS NOT NULL AND s.tier <> ALL ($5::text[]) THEN 'tier_exceeded'
        WHEN s.expires_at <= $4 THEN 'expired'
        WHEN v.retires_at <= $4 THEN 'retired'
        ELSE 'ok'
      END AS outcome,
      v.version AS served
    FROM token_gate g LEFT JOIN secret s ON true LEFT JOIN version v ON true
  ),
  outcome AS (
    SELECT outcome, outcome = 'ok' AS success,
      CASE WHEN outcome = 'ok' THEN NULL ELSE outcome END AS error,
      CASE WHEN outcome = 'ok' THEN served ELSE $3::integer END AS version
    FROM verdict
  ),
  link AS (
    -- outcomeLabel() of domain/audit-chain: "<1|0>|<error>|<version>"
    SELECT $18::bytea || convert_to(
      CASE WHEN success THEN '1' ELSE '0' END || '|' || COALESCE(error, '') || '|' || COALESCE(version::text, ''),
      'UTF8') AS tail
    FROM outcome
  ),
  touch_claim AS (
    SELECT a.tenant, a.path FROM ${t.access} a, outcome o
    WHERE o.success AND a.tenant = $1 AND a.path = $2 AND (a.accessed_at IS NULL OR a.accessed_at < $4)
    FOR NO KEY UPDATE OF a SKIP LOCKED
  ),
  touch AS (
    UPDATE ${t.access} AS a SET accessed_at = $4
    FROM touch_claim c WHERE a.tenant = c.tenant AND a.path = c.path
    RETURNING a.accessed_at
  ),
  audit_head AS (
    INSERT INTO ${t.auditHeads} AS h (tenant, chain, seq, hash)
    SELECT $8, $9, 1, sha256(${GENESIS_SQL} || link.tail) FROM link
    ON CONFLICT (tenant, chain) DO UPDATE SET seq = h.seq + 1, hash = sha256(h.hash || (SELECT tail FROM link))
    RETURNING seq, hash
  ),
  audit_event AS (
    INSERT INTO ${t.auditEvents} (id, tenant, chain, seq, hash, type, path, actor, actor_description, ip,
      user_agent, ts, details, success, error, version)
    SELECT $7, $8, $9, h.seq, h.hash, $10, $11, $12, $13, $14, $15, $16, $17::json, o.success, o.error, o.version
    FROM audit_head h, outcome o
    RETURNING id
  )
  SELECT o.outcome,
    (SELECT count(*) FROM audit_event) AS appended,
    (SELECT count(*) FROM touch) AS touched,
    s.tenant, s.path, s.type, s.tier, s.description, s.tags, s.current_version, s.latest_version,
    s.created_at, s.created_by, s.updated_at, s.updated_by, GREATEST(s.accessed_at, $4) AS accessed_at,
    s.expires_at, s.trashed_at, s.purge_at, s.pending_version, s.rotation_every_seconds,
    s.rotation_grace_seconds, s.rotation_next_at, s.rotation_failures,
    v.version AS v_version, v.ciphertext AS v_ciphertext, v.key_id AS v_key_id, v.wrapped_key AS v_wrapped_key,
    v.created_at AS v_created_at, v.created_by AS v_created_by, v.retires_at AS v_retires_at
  FROM outcome o
  LEFT JOIN secret s ON o.success
  LEFT JOIN version v ON o.success`;
}

export function readSecretValues(input: ReadSecretInput): unknown[] {
  const e = input.event;
  return [
    input.tenant,
    input.path,
    input.version,
    input.now,
    tiersUpTo(input.maxTier),
    input.token?.id ?? null,
    e.id,
    e.tenant,
    e.chain,
    e.type,
    e.path,
    e.actor,
    e.actorDescription,
    e.ip,
    e.userAgent,
    e.timestamp,
    json(e.details),
    Buffer.from(e.digest, 'hex'),
  ];
}

/** $1 tenant, $2 token id, $3 now. Returns the outcome and the token as it stands after the use. */
export function useTokenStatement(t: Tables) {
  return `WITH
  ${tokenGateCtes(t, '$1', '$2', '$3')}
  SELECT g.outcome, tk.*
  FROM token_gate g
  LEFT JOIN LATERAL (
    SELECT * FROM token_spend
    UNION ALL
    SELECT * FROM ${t.tokens} WHERE id = $2 AND tenant = $1 AND NOT EXISTS (SELECT 1 FROM token_spend)
  ) tk ON g.outcome = 'ok'`;
}

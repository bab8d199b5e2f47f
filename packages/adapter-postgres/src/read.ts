/**
 * The audited read: ONE statement (one round trip, one implicit transaction) of data-modifying
 * CTEs — token use, `accessedAt` touch and the audit append with the tenant's next seq.
 *
 * READ COMMITTED reasoning:
 * - A token with a use limit: `token_locked` takes the row lock (FOR NO KEY UPDATE), which waits for
 *   a concurrent user or revoker of the token and then returns its latest committed version, so
 *   `token_spend` decrements what is really left: of N racing reads of a k-use token exactly k pass.
 * - A token without a limit is judged on the statement's snapshot, never locked or written, so one
 *   agent's parallel reads do not queue behind each other.
 * - `accessedAt` lives in `secret_access`, which writers never lock. The touch takes that row with
 *   SKIP LOCKED: a read that finds another read touching the same secret leaves the touch to it
 *   instead of waiting for its commit (the two overlap; either time is right). A read in the same
 *   millisecond as the stored time writes nothing.
 * - The counter upsert reads the outcome first, so the tenant's counter row is locked last and
 *   only for the rest of the statement; the event gets the seq it returned, which the read reports.
 * A failure anywhere (a duplicate event id included) aborts the statement: nothing changes.
 */
import { type ReadResult, type ReadSecretInput, type Tier, TIERS } from '@agentvault/core';
import { appendOneCtes, draftValues } from './audit';
import type { Query } from './db';
import { num, SECRET_COLUMNS, toSecret, toVersion } from './rows';
import type { Tables } from './tables';

const tok = (field: string, alias: string) => `(${alias}.data->>'${field}')`;

/** $1 tenant, $2 path, $3 version, $4 now, $5 readable tiers, $6 token id, $7.. the event. */
export function readSecretStatement(t: Tables, withToken: boolean): string {
  const token = `FROM ${t.records} WHERE kind = 'token' AND tenant = $1 AND id = $6`;
  // Reads without a token (trusted in-process callers) skip the token CTEs: a smaller plan.
  const gate = withToken
    ? `token_seen AS (SELECT data ${token}),
  token_locked AS (SELECT id, data ${token} AND data->>'usesRemaining' IS NOT NULL FOR NO KEY UPDATE),
  token_spend AS (
    UPDATE ${t.records} AS r
    SET data = jsonb_set(r.data, '{usesRemaining}', to_jsonb(${tok('usesRemaining', 'l')}::integer - 1)), rev = r.rev + 1
    FROM token_locked l
    WHERE r.kind = 'token' AND r.tenant = $1 AND r.id = l.id AND ${tok('revokedAt', 'l')} IS NULL
      AND ${tok('expiresAt', 'l')}::bigint > $4 AND ${tok('usesRemaining', 'l')}::integer > 0
    RETURNING 1
  ),
  token_gate AS (
    SELECT CASE
      WHEN s.data IS NULL THEN 'token_revoked'
      WHEN COALESCE(${tok('revokedAt', 'l')}, ${tok('revokedAt', 's')}) IS NOT NULL THEN 'token_revoked'
      WHEN ${tok('expiresAt', 's')}::bigint <= $4 THEN 'token_expired'
      WHEN ${tok('usesRemaining', 's')} IS NULL THEN 'ok'
      WHEN EXISTS (SELECT 1 FROM token_spend) THEN 'ok'
      ELSE 'token_exhausted'
    END AS outcome
    FROM (VALUES (1)) AS one (x) LEFT JOIN token_seen s ON true LEFT JOIN token_locked l ON true
  )`
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
    SELECT v.* FROM ${t.versions} v
    WHERE v.tenant = $1 AND v.path = $2 AND v.version = (SELECT COALESCE($3::integer, s.current_version) FROM secret s)
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
    SELECT outcome, outcome = 'ok' AS success, NULLIF(outcome, 'ok') AS error,
      CASE WHEN outcome = 'ok' THEN served ELSE $3::integer END AS version
    FROM verdict
  ),
  touch_claim AS (
    SELECT a.tenant, a.path FROM ${t.access} a, outcome o
    WHERE o.success AND a.tenant = $1 AND a.path = $2 AND a.accessed_at IS DISTINCT FROM $4
    FOR NO KEY UPDATE OF a SKIP LOCKED
  ),
  touch AS (
    UPDATE ${t.access} AS a SET accessed_at = $4
    FROM touch_claim c WHERE a.tenant = c.tenant AND a.path = c.path
    RETURNING 1
  ),
  ${appendOneCtes(t, '$8', 'outcome', `$7, $8, c.seq, $9, $10, $11, $12, $13, $14, $15, $16::json,
      o.success, o.error, o.version FROM counter c, outcome o`)}
  SELECT o.outcome, (SELECT count(*) FROM audit_event) AS appended, (SELECT count(*) FROM touch) AS touched,
    (SELECT seq FROM counter) AS event_seq,
    s.*, $4 AS accessed_at, v.version AS v_version, v.ciphertext AS v_ciphertext,
    v.key_id AS v_key_id, v.wrapped_key AS v_wrapped_key, v.created_at AS v_created_at,
    v.created_by AS v_created_by, v.retires_at AS v_retires_at
  FROM outcome o LEFT JOIN secret s ON o.success LEFT JOIN version v ON o.success`;
}

/** Tiers at or below `maxTier`, or null for no limit. */
function tiersUpTo(maxTier: Tier | null): Tier[] | null {
  return maxTier === null ? null : TIERS.slice(0, TIERS.indexOf(maxTier) + 1);
}

export async function readSecret(q: Query, sql: string, input: ReadSecretInput): Promise<ReadResult> {
  const row = (await q.one(sql, [
    input.tenant, input.path, input.version, input.now, tiersUpTo(input.maxTier), input.token?.id ?? null,
    ...draftValues(input.event),
  ]))!;
  const outcome = row.outcome as ReadResult['outcome'];
  const seq = num(row.event_seq);
  if (outcome !== 'ok') return { outcome, seq };
  const v = (field: string) => row[`v_${field}`];
  return {
    outcome,
    secret: toSecret(row),
    version: toVersion({
      tenant: row.tenant, path: row.path, version: v('version'), ciphertext: v('ciphertext'), key_id: v('key_id'),
      wrapped_key: v('wrapped_key'), created_at: v('created_at'), created_by: v('created_by'), retires_at: v('retires_at'),
    }),
    seq,
  };
}

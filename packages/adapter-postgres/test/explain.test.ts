/**
 * The statements the adapter really sends, planned against 8,000 secrets, versions, tokens,
 * approvals and audit events: prefix and tag listings, credential lookup, the audited read, record
 * listings by their filters, the due listings and audit queries use indexes.
 */
import type { SecretRecord } from '@agentvault/core';
import type pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { describeRequiring } from '@agentvault/core/testing';
import { type PostgresAdapter, postgresAdapter } from '../src/index';
import { analyzedNodes, genericPlanNodes, indexesUsed, planNodes, sequentialScans } from './support/plans';
import { type RecordingPool, recordingPool } from './support/recording-pool';
import { dropSchema, testPool, uniqueSchema } from '../src/testing';
import { event } from './support/records';

const draft = (tenant: string, path: string) => {
  const { success: _s, error: _e, version: _v, ...rest } = event(tenant, path, 1);
  return rest;
};

const ROWS = 8_000;
const TENANT = 'big';

describeRequiring(inject('pgProblem'), 'postgres query plans', () => {
  const schema = uniqueSchema('explain');
  let pool: pg.Pool;
  let recorder: RecordingPool;
  let storage: PostgresAdapter;

  beforeAll(async () => {
    pool = testPool();
    recorder = recordingPool(pool);
    storage = postgresAdapter({ pool: recorder }, { schema });
    await storage.migrate();
    const s = `"${schema}"`;
    await pool.query(
      `INSERT INTO ${s}.secrets (tenant, path, type, tier, tags, current_version, latest_version, created_at,
         created_by, updated_at, updated_by)
       SELECT $1, 'ns-' || (i % 100) || '/item-' || i, 'custom', 'standard', '{}', 1, 1, i, 'app:x', i, 'app:x'
       FROM generate_series(1, $2) AS i`,
      [TENANT, ROWS],
    );
    // A namespace holding a tenth of the table, where a planner likes hash joins and sequential scans.
    await pool.query(
      `INSERT INTO ${s}.secrets (tenant, path, type, tier, tags, current_version, latest_version, created_at,
         created_by, updated_at, updated_by)
       SELECT $1, 'wide/item-' || lpad(i::text, 6, '0'), 'custom', 'standard', '{}', 1, 1, i, 'app:x', i, 'app:x'
       FROM generate_series(1, $2) AS i`,
      [TENANT, ROWS / 10],
    );
    await pool.query(`INSERT INTO ${s}.secret_access SELECT tenant, path, NULL FROM ${s}.secrets`);
    await pool.query(
      `INSERT INTO ${s}.secret_versions SELECT tenant, path, 1, '\\x00', 'k', '\\x00', 0, 'app:x' FROM ${s}.secrets`,
    );
    // Tokens: every other one a child of tok_00000001.
    await pool.query(
      `INSERT INTO ${s}.records (kind, tenant, id, rev, data)
       SELECT 'token', $1, 'tok_' || lpad(i::text, 8, '0'), 1, jsonb_build_object('id', 'tok_' || lpad(i::text, 8, '0'),
         'tenant', $1::text, 'hash', md5(i::text) || md5(i::text), 'scope', 'secrets:read:*', 'approvedTier', 'standard',
         'maxUses', NULL, 'usesRemaining', NULL, 'createdAt', 0, 'expiresAt', 9e15, 'issuedBy', 'key:k' || (i % 40),
         'parentId', CASE WHEN i % 2 = 0 THEN 'tok_00000001' END, 'revokedAt', NULL)
       FROM generate_series(1, $2) AS i`,
      [TENANT, ROWS],
    );
    await pool.query(
      `INSERT INTO ${s}.audit_events (id, tenant, seq, type, path, actor, ts, details, success)
       SELECT 'evt_' || lpad(i::text, 8, '0'), $1, i, 'secret.read',
         'ns-' || (i % 100) || '/item-' || i, 'app:actor-' || (i % 50), i, '{}', true
       FROM generate_series(1, $2) AS i`,
      [TENANT, ROWS],
    );
    await pool.query(`INSERT INTO ${s}.audit_counters VALUES ($1, $2)`, [TENANT, ROWS]);
    // A few critical secrets of another type, for the tier and type filters.
    await pool.query(`UPDATE ${s}.secrets SET tier = 'critical', type = 'ssh_key' WHERE created_at % 200 = 7`);
    await pool.query(`UPDATE ${s}.secrets SET tags = jsonb_build_object('team', 'team-' || (created_at % 50))`);
    // Lifecycle state on a fraction of the secrets, spread over time (created_at = i): a tenth
    // rotate, a thousandth have a pending version, a quarter expire, a twentieth are trashed.
    await pool.query(
      `UPDATE ${s}.secrets SET rotation_every_seconds = 86400, rotation_grace_seconds = 0,
         rotation_next_at = created_at * 1000, rotation_failures = 0
       WHERE created_at % 10 = 0`,
    );
    await pool.query(`UPDATE ${s}.secrets SET pending_version = 2 WHERE created_at % 1000 = 0`);
    await pool.query(`UPDATE ${s}.secrets SET expires_at = created_at * 1000 WHERE created_at % 4 = 0`);
    await pool.query(
      `UPDATE ${s}.secrets SET trashed_at = created_at, purge_at = created_at * 1000
       WHERE created_at % 20 = 1 AND path LIKE 'ns-%'`, // not in the namespaces the listing tests count
    );
    // Approval requests, half of them still pending, deadlines spread over time.
    await pool.query(
      `INSERT INTO ${s}.records (kind, tenant, id, rev, data)
       SELECT 'approval', $1, 'apr_' || lpad(i::text, 8, '0'), 1, jsonb_build_object('id', 'apr_' || lpad(i::text, 8, '0'),
         'tenant', $1::text, 'requestedBy', 'app:x', 'lineage', '[]'::jsonb, 'request', '{"scope":"secrets:read:*"}'::jsonb,
         'tier', 'critical', 'status', CASE WHEN i % 2 = 0 THEN 'pending' ELSE 'approved' END, 'decisions', '[]'::jsonb,
         'requiredApprovals', 1, 'createdAt', i, 'expiresAt', i * 1000)
       FROM generate_series(1, $2) AS i`,
      [TENANT, ROWS],
    );
    // VACUUM as autovacuum would: it also merges the GIN pending list the bulk UPDATE of tags filled.
    await pool.query(`VACUUM ANALYZE ${s}.secrets, ${s}.secret_access, ${s}.secret_versions, ${s}.records, ${s}.audit_events`);
  }, 60_000);
  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
  });

  const planOfLast = () => planNodes(pool, recorder.last().text, recorder.last().values);

  it('lists a namespace page by a range scan of the primary key', async () => {
    const page = await storage.listSecrets({
      tenant: TENANT,
      namespace: 'ns-7',
      afterPath: 'ns-7/item-1007',
      limit: 51,
      trashed: false,
    });
    expect(page.total).toBe(ROWS / 100);
    expect(page.items).toHaveLength(51);
    const nodes = await planOfLast();
    expect(sequentialScans(nodes)).toEqual([]);
    expect(indexesUsed(nodes)).toContain('secrets_pkey');
  });

  it('lists a page of a namespace holding a tenth of the secrets without a sequential scan', async () => {
    const page = await storage.listSecrets({
      tenant: TENANT,
      namespace: 'wide',
      afterPath: 'wide/item-000500',
      limit: 51,
      trashed: false,
    });
    expect([page.total, page.items.length]).toEqual([ROWS / 10, 51]);
    expect(sequentialScans(await planOfLast())).toEqual([]);
  });

  it('lists by tag from the GIN index, not a scan of the tenant', async () => {
    const page = await storage.listSecrets({ tenant: TENANT, namespace: '', afterPath: null, limit: 51, trashed: false, tags: { team: 'team-7' } });
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every((item) => item.tags.team === 'team-7')).toBe(true);
    const nodes = await planOfLast();
    expect(sequentialScans(nodes)).toEqual([]);
    expect(indexesUsed(nodes)).toContain('secrets_tags_idx');
  });

  it('lists rare tiers and types from their indexes, not a walk of the tenant', async () => {
    for (const filter of [{ tiers: ['critical' as const] }, { types: ['ssh_key' as const] }]) {
      const page = await storage.listSecrets({ tenant: TENANT, namespace: '', afterPath: null, limit: 51, trashed: false, ...filter });
      expect(page.items.length).toBeGreaterThan(0);
      expect(page.items.every((item) => item.tier === 'critical' && item.type === 'ssh_key')).toBe(true);
      const nodes = await planOfLast();
      expect(sequentialScans(nodes)).toEqual([]);
      expect(indexesUsed(nodes)).toContain(filter.tiers ? 'secrets_tier_idx' : 'secrets_type_idx');
    }
  });

  it('finds a credential by hash through its unique index', async () => {
    const { rows } = await pool.query(`SELECT data->>'hash' AS hash FROM "${schema}".records WHERE id = 'tok_00001234'`);
    expect((await storage.findCredential(rows[0].hash))?.record.id).toBe('tok_00001234');
    const nodes = await planOfLast();
    expect(sequentialScans(nodes)).toEqual([]);
    expect(indexesUsed(nodes)).toEqual(['records_credential_key']);
  });

  it('lists records by tenant, and by each filter from its own index', async () => {
    const cases: [Parameters<PostgresAdapter['listRecords']>[0], string][] = [
      [{ kind: 'token', tenant: TENANT, afterId: 'tok_00005000', limit: 51 }, 'records_pkey'],
      [{ kind: 'token', tenant: TENANT, afterId: null, limit: 51, where: { parentId: 'tok_00000001' } }, 'records_token_parent_idx'],
      [{ kind: 'token', tenant: TENANT, afterId: null, limit: 51, where: { issuedBy: 'key:k7' } }, 'records_token_issuer_idx'],
      [{ kind: 'approval', tenant: TENANT, afterId: 'apr_00000100', limit: 51, where: { status: 'pending' } }, 'records_approval_status_idx'],
    ];
    for (const [query, index] of cases) {
      expect((await storage.listRecords(query)).length).toBeGreaterThan(0);
      const nodes = await planOfLast();
      expect(sequentialScans(nodes), JSON.stringify(query)).toEqual([]);
      expect(indexesUsed(nodes), JSON.stringify(query)).toContain(index);
    }
  });

  it('plans the audited read with index lookups only', async () => {
    const result = await storage.readSecret({
      tenant: TENANT,
      path: 'ns-3/item-103',
      version: null,
      now: 1,
      maxTier: 'critical',
      token: { id: 'tok_00000103' },
      event: draft(TENANT, 'ns-3/item-103'),
    });
    expect(result.outcome).toBe('ok');
    const nodes = await planOfLast();
    expect(sequentialScans(nodes)).toEqual([]);
    expect(indexesUsed(nodes)).toEqual(
      expect.arrayContaining(['secret_access_pkey', 'secret_versions_pkey', 'secrets_pkey', 'records_pkey']),
    );
  });

  it('keeps the generic plan of the prepared read on whole primary keys', async () => {
    await storage.readSecret({
      tenant: TENANT,
      path: 'ns-4/item-104',
      version: 1,
      now: 1,
      maxTier: null,
      token: { id: 'tok_00000104' },
      event: draft(TENANT, 'ns-4/item-104'),
    });
    const nodes = await genericPlanNodes(pool, recorder.last().text, recorder.last().values);
    expect(sequentialScans(nodes)).toEqual([]);
    const versionLookup = nodes.find((node) => node.relation === 'secret_versions');
    // Not (tenant, path) with a filter on the version: that would read every version of the secret.
    expect(versionLookup?.indexCond).toMatch(/\(version = /);
  });

  it('serves audit queries from the time, path, actor and seq indexes', async () => {
    const base = { tenant: TENANT, after: null, limit: 51 } as const;
    const cases: [Parameters<PostgresAdapter['queryAudit']>[0], string][] = [
      [{ ...base, order: 'desc' }, 'audit_events_time_idx'],
      [{ ...base, order: 'asc', since: 5000, until: 6000 }, 'audit_events_time_idx'],
      [{ ...base, order: 'desc', after: { timestamp: 10_000, id: 'evt_00010000' } }, 'audit_events_time_idx'],
      [{ ...base, order: 'desc', path: 'ns-4/item-104' }, 'audit_events_path_idx'],
      [{ ...base, order: 'desc', namespace: 'ns-4' }, 'audit_events_path_idx'],
      [{ ...base, order: 'desc', actor: 'app:actor-7' }, 'audit_events_actor_idx'],
    ];
    for (const [query, index] of cases) {
      await storage.queryAudit(query);
      const nodes = await planOfLast();
      expect(sequentialScans(nodes), JSON.stringify(query)).toEqual([]);
      expect(indexesUsed(nodes), JSON.stringify(query)).toContain(index);
    }
    await storage.readAudit({ tenant: TENANT, afterSeq: 100, limit: 500 });
    expect(indexesUsed(await planOfLast())).toEqual(['audit_events_seq_idx']);
  });

  /**
   * A maintenance listing (the last statement, run again under EXPLAIN ANALYZE) reads one index's
   * range. With `pageRows`, no node of the plan handles more rows than the page: the scans stop at
   * the limit instead of reading (and sorting) the whole range, so a page costs the same however
   * many rows the range holds.
   */
  async function expectRangeScanOf(index: string, { pageRows }: { pageRows?: number } = {}) {
    const nodes = await analyzedNodes(pool, recorder.last().text, recorder.last().values);
    expect(sequentialScans(nodes)).toEqual([]);
    // Secrets come with their access time, looked up by primary key.
    const expected = index.startsWith('secrets_') ? [index, 'secret_access_pkey'] : [index];
    expect(indexesUsed(nodes)).toEqual(expected.sort());
    if (pageRows !== undefined) {
      expect(Math.max(...nodes.map((node) => node.actualRows!)), JSON.stringify(nodes)).toBeLessThanOrEqual(pageRows);
    }
    return nodes;
  }

  it('lists due rotations, pending versions first, from the rotation index in its order', async () => {
    const due = (await storage.listDue({ due: 'rotation', now: 500_000, limit: 100 })).map((s) => s.record);
    // 8 pending versions (created_at 1000, 2000, …), then 100 rotations due by 500 000: the first 92.
    expect(due).toHaveLength(100);
    expect(due.slice(0, 8).every((secret) => secret.pendingVersion === 2)).toBe(true);
    const times = due.slice(8).map((secret) => secret.rotation!.nextAt);
    expect(times.every((time) => time <= 500_000)).toBe(true);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    await expectRangeScanOf('secrets_rotation_due_idx', { pageRows: 100 });
  });

  it('walks expiring secrets by (expiresAt, tenant, path) on the expiry index, reading the window about once', async () => {
    // 950 live secrets expire by 3 000 000, in pairs that share a time (one per namespace).
    const window = { from: 0, until: 3_000_000, limit: 100 };
    const seen: string[] = [];
    let read = 0;
    let after: { expiresAt: number; tenant: string; path: string } | null = null;
    for (;;) {
      const page: SecretRecord[] = (await storage.listDue({ due: 'expiry', ...window, after })).map((s) => s.record);
      const nodes = await expectRangeScanOf('secrets_expiry_idx');
      if (after) {
        // Not a filter over the rows before the keyset: the scan starts after it.
        expect(nodes.find((node) => node.index === 'secrets_expiry_idx')?.indexCond).toMatch(
          /ROW\(expires_at, tenant, path\) >/,
        );
      }
      read += Math.max(...nodes.map((node) => node.actualRows!));
      seen.push(...page.map((secret) => `${String(secret.expiresAt).padStart(8, '0')} ${secret.path}`));
      const last = page.at(-1);
      if (!last || page.length < window.limit) break;
      after = { expiresAt: last.expiresAt!, tenant: last.tenant, path: last.path };
    }
    expect(seen).toHaveLength(950);
    expect(new Set(seen).size).toBe(950);
    expect(seen).toEqual([...seen].sort());
    // Pages stop at their limit, or (near the end) read the rest of the window once. Planned on a
    // misestimate of what is left, each page would sort the rest of the window: 4,150 rows here (1,150 as written).
    expect(read).toBeLessThanOrEqual(2 * 950);
  });

  it('lists purgeable trashed secrets from the purge index', async () => {
    const purgeable = (await storage.listDue({ due: 'purge', now: 400_000, limit: 100 })).map((s) => s.record);
    expect(purgeable.length).toBeGreaterThan(0);
    expect(purgeable.every((secret) => secret.trashedAt !== null && secret.purgeAt! <= 400_000)).toBe(true);
    await expectRangeScanOf('secrets_purge_idx', { pageRows: 100 });
  });

  it('lists expired pending approval requests from the approval deadline index', async () => {
    const expired = await storage.listDue({ due: 'approval_expiry', now: 150_000, limit: 100 });
    expect(expired).toHaveLength(75);
    expect(expired.every((approval) => approval.record.status === 'pending')).toBe(true);
    await expectRangeScanOf('records_approval_due_idx', { pageRows: 100 });
  });
});

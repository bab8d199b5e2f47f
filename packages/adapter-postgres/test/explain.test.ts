/**
 * The statements the adapter really sends, planned against 8,000 secrets, versions, tokens and
 * audit events: prefix listing, token lookup, the audited read and audit queries use indexes.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type PostgresAdapter, postgresAdapter } from '../src/index';
import { draft } from './support/fixtures';
import { genericPlanNodes, indexesUsed, planNodes, sequentialScans } from './support/plans';
import { type RecordingPool, recordingPool } from './support/recording-pool';
import { dropSchema, testPool, uniqueSchema } from '../src/testing';

const ROWS = 8_000;
const TENANT = 'big';

describe.skipIf(!inject('pgReachable'))('postgres query plans', () => {
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
    await pool.query(
      `INSERT INTO ${s}.tokens (id, tenant, hash, scope, approved_tier, created_at, expires_at, issued_by)
       SELECT 'tok_' || lpad(i::text, 8, '0'), $1, md5(i::text) || md5(i::text), 'secrets:read:*', 'standard', 0,
         9e15, 'app:x'
       FROM generate_series(1, $2) AS i`,
      [TENANT, ROWS],
    );
    await pool.query(
      `INSERT INTO ${s}.audit_events (id, tenant, chain, seq, hash, type, path, actor, ts, details, success)
       SELECT 'evt_' || lpad(i::text, 8, '0'), $1, i % 8, i / 8 + 1, '\\x00', 'secret.read',
         'ns-' || (i % 100) || '/item-' || i, 'app:actor-' || (i % 50), i, '{}', true
       FROM generate_series(1, $2) AS i`,
      [TENANT, ROWS],
    );
    await pool.query(
      `INSERT INTO ${s}.audit_heads SELECT $1, c, $2 / 8 + 1, '\\x00' FROM generate_series(0, 7) AS c`,
      [TENANT, ROWS],
    );
    await pool.query(`ANALYZE ${s}.secrets, ${s}.secret_access, ${s}.secret_versions, ${s}.tokens,
      ${s}.audit_events, ${s}.audit_heads`);
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

  it('finds a token by hash through its unique index', async () => {
    const { rows } = await pool.query(`SELECT hash FROM "${schema}".tokens WHERE id = 'tok_00001234'`);
    expect((await storage.findToken(rows[0].hash))?.id).toBe('tok_00001234');
    const nodes = await planOfLast();
    expect(sequentialScans(nodes)).toEqual([]);
    expect(indexesUsed(nodes)).toEqual(['tokens_hash_key']);
  });

  it('plans the audited read with index lookups only', async () => {
    const result = await storage.readSecret({
      tenant: TENANT,
      path: 'ns-3/item-103',
      version: null,
      now: 1,
      maxTier: 'critical',
      token: { id: 'tok_00000103' },
      event: draft(TENANT, 'ns-3/item-103', 1),
    });
    expect(result.outcome).toBe('ok');
    const nodes = await planOfLast();
    expect(sequentialScans(nodes)).toEqual([]);
    expect(indexesUsed(nodes)).toEqual(
      expect.arrayContaining(['secret_access_pkey', 'secret_versions_pkey', 'secrets_pkey', 'tokens_pkey']),
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
      event: draft(TENANT, 'ns-4/item-104', 1),
    });
    const nodes = await genericPlanNodes(pool, recorder.last().text, recorder.last().values);
    expect(sequentialScans(nodes)).toEqual([]);
    const versionLookup = nodes.find((node) => node.relation === 'secret_versions');
    // Not (tenant, path) with a filter on the version: that would read every version of the secret.
    expect(versionLookup?.indexCond).toMatch(/\(version = /);
  });

  it('serves audit queries from the time, path, actor and chain indexes', async () => {
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
    await storage.readAuditChain({ tenant: TENANT, chain: 3, afterSeq: 100, limit: 500 });
    expect(indexesUsed(await planOfLast())).toEqual(['audit_events_chain_key']);
  });

  it('lists tokens by tenant through an index', async () => {
    await storage.listTokens({ tenant: TENANT, activeAt: 1, afterId: 'tok_00005000', limit: 51 });
    const nodes = await planOfLast();
    expect(sequentialScans(nodes)).toEqual([]);
  });
});

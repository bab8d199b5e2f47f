/**
 * PostgreSQL storage costs (storage contract v2), every figure against a baseline measured in the same run:
 * - the audited read (adapter readSecret, and the vault's getSecret on it) against a raw `pg` CTE
 *   doing the same SELECT + accessedAt UPDATE + per-tenant counter + audit INSERT (one statement,
 *   same tables and indexes), at concurrency 1 and 32, and statements sent per read;
 * - a 50-item list page, a credential lookup and one round of the maintenance listings (due
 *   rotations, a keyset page of expiring secrets, purgeable trash, expired approval requests) with
 *   10,000 and then 1,000,000 secrets (and as many tokens) in the tenant, the dataset built by
 *   INSERT … SELECT generate_series in a throwaway schema.
 * Needs the server at AGENTVAULT_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test);
 * prints one line and returns if it is unreachable. AGENTVAULT_BENCH_EXPLAIN=1 also prints the
 * plans of the indexed statements on the 1M dataset.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { type PostgresPool, type PostgresQueryConfig, postgresAdapter } from '@agentvault/adapter-postgres';
import { createVault, type StorageAdapter } from '@agentvault/core';
import { localKeyring } from '@agentvault/kms-local';
import pg from 'pg';
import { check, type Measurement, measure, printChecks, printMeasurements } from './lib';

const URL_VAR = 'AGENTVAULT_TEST_PG_URL';
const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';
const VALUE = 'x'.repeat(64);
const CONCURRENCY = 32;
const SMALL = 10_000;
const LARGE = 1_000_000;
const LIST_NAMESPACE_SIZE = 1_000;
const ROUNDS = 3;
/** Maintenance's page size (core's vault/lifecycle.ts). */
const MAINTENANCE_PAGE = 100;
/** "Now" for the maintenance listings: 100 rows are due in each listing at every dataset size. */
const MAINTENANCE_NOW = 10_000_000;

/** A pool wrapper counting statements (pool.query and queries on checked-out clients). */
function countingPool(
  pool: pg.Pool,
): PostgresPool & { count: number; last: { text: string; values: unknown[] } } {
  const counter = {
    count: 0,
    last: { text: '', values: [] as unknown[] },
    query: (config: PostgresQueryConfig) => {
      counter.count++;
      counter.last = { text: config.text, values: config.values ?? [] };
      return pool.query(config);
    },
    connect: async () => {
      const client = await pool.connect();
      return {
        query: (config: PostgresQueryConfig) => {
          counter.count++;
          return client.query(config);
        },
        release: (destroy?: Error | boolean) => client.release(destroy),
        on: (event: 'error', listener: (error: Error) => void) => client.on(event, listener),
        removeListener: (event: 'error', listener: (error: Error) => void) =>
          client.removeListener(event, listener),
      };
    },
  };
  return counter;
}

async function reachable(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return error instanceof Error
      ? error.message || String((error as { code?: string }).code)
      : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

function quietVault(storage: StorageAdapter, tenant: string) {
  return createVault({
    storage,
    keys: localKeyring({ keys: { bench: randomBytes(32) } }),
    defaultTenant: tenant,
    logger: { warn() {}, error() {} },
  });
}

/**
 * The baseline: the same secret + version SELECT, accessedAt UPDATE, tenant counter upsert and
 * audit INSERT as one plain CTE, with no token, outcome or lock logic (its events go to a tenant
 * of their own, with its own counter).
 */
function rawRead(pool: pg.Pool, schema: string, tenant: string, path: string, mode: 'plain' | 'prepared') {
  const s = `"${schema}"`;
  const text = `WITH sv AS (
      SELECT s.tier, s.expires_at, v.version, v.ciphertext, v.key_id, v.wrapped_key, v.retires_at
      FROM ${s}.secrets s JOIN ${s}.secret_versions v
        ON v.tenant = s.tenant AND v.path = s.path AND v.version = s.current_version
      WHERE s.tenant = $1 AND s.path = $2 AND s.trashed_at IS NULL
    ),
    touch AS (
      UPDATE ${s}.secret_access a SET accessed_at = $4
      WHERE a.tenant = $1 AND a.path = $2 AND (a.accessed_at IS NULL OR a.accessed_at < $4)
      RETURNING 1
    ),
    counter AS (
      INSERT INTO ${s}.audit_counters AS c (tenant, seq) VALUES ($1 || '-raw', 1)
      ON CONFLICT (tenant) DO UPDATE SET seq = c.seq + 1 RETURNING seq
    ),
    ev AS (
      INSERT INTO ${s}.audit_events (id, tenant, seq, type, path, actor, actor_description, ip, user_agent, ts,
        details, success, error, version)
      SELECT $3, $1 || '-raw', counter.seq, 'secret.read', $2, 'app:bench', NULL, NULL, NULL, $4, $5::json, true, NULL, 1
      FROM counter
      RETURNING id
    )
    SELECT sv.*, (SELECT count(*) FROM ev) AS appended, (SELECT count(*) FROM touch) AS touched FROM sv`;
  return () => {
    const values: unknown[] = [tenant, path, `evt_${randomUUID()}`, Date.now(), '{}'];
    return pool.query(mode === 'plain' ? { text, values } : { name: `bench_raw_${mode}`, text, values });
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/**
 * Measure every case once per round, rounds interleaved, and keep the median ops/s and p50 of each:
 * the machine is shared, so a slow second hurts every case of a round rather than one case.
 */
async function rounds(
  cases: { name: string; op: () => Promise<unknown>; concurrency: number }[],
  count: number,
  durationMs: number,
): Promise<Measurement[]> {
  const results = new Map<string, Measurement[]>(cases.map((c) => [c.name, []]));
  for (let round = 0; round < count; round++) {
    for (const c of cases) {
      const m = await measure(c.name, c.op, { concurrency: c.concurrency, durationMs, warmupMs: 300 });
      results.get(c.name)!.push(m);
    }
  }
  return cases.map((c) => {
    const all = results.get(c.name)!;
    return {
      name: c.name,
      ops: median(all.map((m) => m.ops)),
      opsPerSec: median(all.map((m) => m.opsPerSec)),
      p50Ms: median(all.map((m) => m.p50Ms!)),
      p99Ms: median(all.map((m) => m.p99Ms!)),
    };
  });
}

async function readCosts(url: string) {
  const schema = `agentvault_bench_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: url, max: CONCURRENCY, application_name: 'agentvault-bench' });
  pool.on('error', () => {});
  const counted = countingPool(pool);
  const storage = postgresAdapter({ pool: counted }, { schema });
  try {
    await storage.migrate();
    const vault = quietVault(storage, 'bench');
    await vault.setSecret('bench/value', VALUE);
    const token = await vault.requestToken({ scope: 'secrets:read:bench/*', ttlSeconds: 86_400 });
    await vault.getSecret('bench/value', { token: token.value! });
    const raw = rawRead(pool, schema, 'bench', 'bench/value', 'plain');
    const rawPrepared = rawRead(pool, schema, 'bench', 'bench/value', 'prepared');
    await Promise.all(Array.from({ length: CONCURRENCY }, () => raw())); // open every connection
    // The adapter alone (no vault: no authorization, decryption, sealing), to show whose CPU is whose.
    const adapterRead = () => {
      const now = Date.now();
      const event = {
        id: `evt_${randomUUID()}`, tenant: 'bench', type: 'secret.read' as const, path: 'bench/value',
        actor: 'app:bench', actorDescription: null, ip: null, userAgent: null, timestamp: now, details: {},
      };
      return storage.readSecret({ tenant: 'bench', path: 'bench/value', version: null, now, maxTier: null, token: null, event });
    };

    const c = CONCURRENCY;
    const measured = await rounds(
      [
        { name: 'raw pg CTE, pool.query(text, values), c=1', op: raw, concurrency: 1 },
        { name: 'raw pg CTE, prepared, c=1', op: rawPrepared, concurrency: 1 },
        { name: 'adapter readSecret only, c=1', op: adapterRead, concurrency: 1 },
        {
          name: 'audited getSecret, trusted caller, c=1',
          op: () => vault.getSecret('bench/value'),
          concurrency: 1,
        },
        {
          name: 'audited getSecret, scoped token, c=1',
          op: () => vault.getSecret('bench/value', { token: token.value! }),
          concurrency: 1,
        },
        { name: `raw pg CTE, pool.query(text, values), c=${c}`, op: raw, concurrency: c },
        { name: `raw pg CTE, prepared, c=${c}`, op: rawPrepared, concurrency: c },
        { name: `adapter readSecret only, c=${c}`, op: adapterRead, concurrency: c },
        { name: `audited getSecret, trusted caller, c=${c}`, op: () => vault.getSecret('bench/value'), concurrency: c },
      ],
      ROUNDS,
      1500,
    );
    const [raw1, rawPrepared1, adapter1, vault1, token1] = measured.slice(0, 5) as Measurement[];
    const [raw32, rawPrepared32, adapter32, vault32] = measured.slice(5) as Measurement[];
    // Statements per read, counted exactly over 500 sequential reads of each kind. The token read
    // first re-fills the vault's token cache (60 s TTL), as any token's first read in a minute does.
    const perRead = async (read: () => Promise<unknown>) => {
      await read();
      const before = counted.count;
      for (let i = 0; i < 500; i++) await read();
      return (counted.count - before) / 500;
    };
    const trustedStatements = await perRead(() => vault.getSecret('bench/value'));
    const tokenStatements = await perRead(() => vault.getSecret('bench/value', { token: token.value! }));
    const adapterStatements = await perRead(adapterRead);
    await vault.sealAudit();
    const verified = (await vault.verifyAudit()).ok;
    printMeasurements(
      `Audited reads on PostgreSQL: 64-byte value, one hot secret, pool of ${c}; median of ${ROUNDS} interleaved rounds (machine shared with other engineers, load average ${loadAverage()})`,
      measured,
    );
    return {
      raw1: raw1!,
      rawPrepared1: rawPrepared1!,
      adapter1: adapter1!,
      vault1: vault1!,
      token1: token1!,
      raw32: raw32!,
      rawPrepared32: rawPrepared32!,
      adapter32: adapter32!,
      vault32: vault32!,
      adapterStatements,
      trustedStatements,
      tokenStatements,
      auditOk: verified,
    };
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await pool.end();
  }
}

/**
 * `size` secrets of one tenant: LIST_NAMESPACE_SIZE under `list/`, the rest over 1,000 namespaces; as
 * many tokens; a tenth as many approval requests. Lifecycle state is spread over time (i × 1 s):
 * 1 % rotate, 10 % expire, 2 % of those outside `list/` are trashed, half the requests are pending.
 */
async function build(pool: pg.Pool, schema: string, tenant: string, size: number) {
  const s = `"${schema}"`;
  await pool.query(
    `INSERT INTO ${s}.secrets (tenant, path, type, tier, tags, current_version, latest_version, created_at,
       created_by, updated_at, updated_by, expires_at, trashed_at, purge_at, rotation_every_seconds,
       rotation_grace_seconds, rotation_next_at, rotation_failures)
     SELECT $1, CASE WHEN i <= $3 THEN 'list/item-' || lpad(i::text, 7, '0')
                     ELSE 'ns-' || lpad((i % 1000)::text, 3, '0') || '/item-' || lpad(i::text, 7, '0') END,
       'api_key', 'standard', '{"team":"bench"}', 1, 1, i, 'app:bench', i, 'app:bench',
       CASE WHEN i % 10 = 5 THEN i * 1000 END,
       CASE WHEN trashed THEN i END, CASE WHEN trashed THEN i * 1000 END,
       CASE WHEN i % 100 = 0 THEN 86400 END, CASE WHEN i % 100 = 0 THEN 0 END,
       CASE WHEN i % 100 = 0 THEN i * 1000 END, CASE WHEN i % 100 = 0 THEN 0 END
     FROM generate_series(1, $2::int) AS i, LATERAL (SELECT i > $3 AND i % 50 = 20 AS trashed) t`,
    [tenant, size, LIST_NAMESPACE_SIZE],
  );
  await pool.query(
    `INSERT INTO ${s}.records (kind, tenant, id, rev, data)
     SELECT 'approval', $1, 'apr_' || lpad(i::text, 8, '0'), 1, jsonb_build_object('id', 'apr_' || lpad(i::text, 8, '0'),
       'tenant', $1::text, 'requestedBy', 'app:bench', 'lineage', '[]'::jsonb, 'request', '{"scope":"secrets:read:*"}'::jsonb,
       'tier', 'critical', 'status', CASE WHEN i % 2 = 0 THEN 'pending' ELSE 'approved' END, 'decisions', '[]'::jsonb,
       'requiredApprovals', 1, 'createdAt', i * 10, 'expiresAt', i * 10 * 1000)
     FROM generate_series(1, $2::int / 10) AS i`,
    [tenant, size],
  );
  await pool.query(
    `INSERT INTO ${s}.secret_access (tenant, path, accessed_at) SELECT tenant, path, NULL FROM ${s}.secrets`,
  );
  await pool.query(
    `INSERT INTO ${s}.records (kind, tenant, id, rev, data)
     SELECT 'token', $1, 'tok_' || lpad(i::text, 8, '0'), 1, jsonb_build_object('id', 'tok_' || lpad(i::text, 8, '0'),
       'tenant', $1::text, 'hash', encode(sha256(convert_to('ast_tok_bench-' || i, 'UTF8')), 'hex'),
       'scope', 'secrets:read:*', 'approvedTier', 'standard', 'maxUses', NULL, 'usesRemaining', NULL, 'createdAt', 0,
       'expiresAt', 9000000000000000, 'issuedBy', 'app:bench', 'parentId', NULL, 'revokedAt', NULL)
     FROM generate_series(1, $2::int) AS i`,
    [tenant, size],
  );
  for (const table of ['secrets', 'secret_access', 'records'])
    await pool.query(`VACUUM ANALYZE ${s}.${table}`);
}

async function scaleCosts(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 4, application_name: 'agentvault-bench' });
  pool.on('error', () => {});
  const tenant = 'scale';
  const schemas: string[] = [];
  const tokenHash = (i: number) => createHash('sha256').update(`ast_tok_bench-${i}`).digest('hex');
  const cases = (size: number, storage: StorageAdapter) => {
    let cursor = 0;
    let expiring: { expiresAt: number; tenant: string; path: string } | null = null;
    let expiringPages = 0;
    const label = size.toLocaleString('en-US');
    return [
      {
        name: `list page of 50 (namespace of ${LIST_NAMESPACE_SIZE}), ${label} secrets`,
        concurrency: 1,
        op: async () => {
          // Walk the namespace: the first page and pages deep into it.
          const result = await storage.listSecrets({
            tenant,
            namespace: 'list',
            afterPath: cursor === 0 ? null : `list/item-${String(cursor).padStart(7, '0')}`,
            limit: 51,
            trashed: false,
          });
          if (result.total !== LIST_NAMESPACE_SIZE) throw new Error(`unexpected total ${result.total}`);
          cursor = (cursor + 50) % (LIST_NAMESPACE_SIZE - 50);
        },
      },
      {
        name: `credential lookup (findCredential by hash), ${label} tokens`,
        concurrency: 1,
        op: async () => {
          const i = 1 + Math.floor(Math.random() * size);
          if (!(await storage.findCredential(tokenHash(i)))) throw new Error(`token ${i} not found`);
        },
      },
      {
        name: `maintenance listings (4 pages of ${MAINTENANCE_PAGE}), ${label} secrets`,
        concurrency: 1,
        op: async () => {
          const now = MAINTENANCE_NOW;
          const limit = MAINTENANCE_PAGE;
          const due = await storage.listDue({ due: 'rotation', now, limit });
          // A keyset page from a moving point of the 1,000 expiring by `now`.
          const page = await storage.listDue({ due: 'expiry', from: 0, until: now, after: expiring, limit });
          const purgeable = await storage.listDue({ due: 'purge', now, limit });
          const approvals = await storage.listDue({ due: 'approval_expiry', now, limit });
          if ([due, page, purgeable, approvals].some((p) => p.length !== limit)) {
            throw new Error('a maintenance page came back short');
          }
          const last = page.at(-1)!.record;
          expiringPages = (expiringPages + 1) % 9;
          expiring = expiringPages === 0 ? null : { expiresAt: last.expiresAt!, tenant, path: last.path };
        },
      },
    ];
  };
  try {
    const stores: Record<
      number,
      { storage: StorageAdapter; counted: ReturnType<typeof countingPool>; buildMs: number }
    > = {};
    for (const size of [SMALL, LARGE]) {
      const schema = `agentvault_bench_scale_${randomBytes(4).toString('hex')}`;
      schemas.push(schema);
      const counted = countingPool(pool);
      const storage = postgresAdapter({ pool: counted }, { schema });
      await storage.migrate();
      const started = performance.now();
      await build(pool, schema, tenant, size);
      stores[size] = { storage, counted, buildMs: performance.now() - started };
    }
    const small = cases(SMALL, stores[SMALL]!.storage);
    const large = cases(LARGE, stores[LARGE]!.storage);
    const [smallPage, smallToken, smallMaintenance, largePage, largeToken, largeMaintenance] = await rounds(
      [...small, ...large],
      ROUNDS,
      1500,
    );
    printMeasurements(
      `Cost against dataset size: one tenant, a throwaway schema per size (built in ${(stores[SMALL]!.buildMs / 1000).toFixed(1)} s and ${(stores[LARGE]!.buildMs / 1000).toFixed(1)} s); median of ${ROUNDS} interleaved rounds, machine shared`,
      [smallPage!, largePage!, smallToken!, largeToken!, smallMaintenance!, largeMaintenance!],
    );
    if (process.env.AGENTVAULT_BENCH_EXPLAIN === '1') {
      await explain(pool, stores[LARGE]!.storage, stores[LARGE]!.counted, tenant, tokenHash);
    }
    return {
      smallPage: smallPage!,
      smallToken: smallToken!,
      smallMaintenance: smallMaintenance!,
      largePage: largePage!,
      largeToken: largeToken!,
      largeMaintenance: largeMaintenance!,
    };
  } finally {
    for (const schema of schemas)
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await pool.end();
  }
}

async function explain(
  pool: pg.Pool,
  storage: StorageAdapter,
  counted: ReturnType<typeof countingPool>,
  tenant: string,
  tokenHash: (i: number) => string,
) {
  const show = async (title: string, call: () => Promise<unknown>) => {
    await call();
    const { rows } = await pool.query(`EXPLAIN ${counted.last.text}`, counted.last.values);
    console.log(`\n-- ${title}\n${rows.map((row) => row['QUERY PLAN']).join('\n')}`);
  };
  await show('list page (namespace "list", after list/item-0000500, limit 51)', () =>
    storage.listSecrets({
      tenant,
      namespace: 'list',
      afterPath: 'list/item-0000500',
      limit: 51,
      trashed: false,
    }),
  );
  await show('credential lookup by hash', () => storage.findCredential(tokenHash(123_456)));
  await show('audit query (newest first, one path)', () =>
    storage.queryAudit({ tenant, path: 'list/item-0000001', after: null, order: 'desc', limit: 51 }),
  );
  const limit = MAINTENANCE_PAGE;
  await show('due rotations (pending first, then by rotation_next_at)', () =>
    storage.listDue({ due: 'rotation', now: MAINTENANCE_NOW, limit }),
  );
  const first = await storage.listDue({ due: 'expiry', from: 0, until: MAINTENANCE_NOW, after: null, limit });
  const last = first.at(-1)!.record;
  await show(`expiring secrets, keyset page after (${last.expiresAt}, ${tenant}, ${last.path})`, () =>
    storage.listDue({ due: 'expiry', from: 0, until: MAINTENANCE_NOW, after: { expiresAt: last.expiresAt!, tenant, path: last.path }, limit }),
  );
  await show('purgeable trash', () => storage.listDue({ due: 'purge', now: MAINTENANCE_NOW, limit }));
  await show('expired approval requests', () => storage.listDue({ due: 'approval_expiry', now: MAINTENANCE_NOW, limit }));
}

function loadAverage(): string {
  return loadavg()
    .map((n) => n.toFixed(1))
    .join(' / ');
}

export async function run(): Promise<void> {
  const url = process.env[URL_VAR] || DEFAULT_URL;
  const problem = await reachable(url);
  if (problem !== null) {
    console.log(`SKIPPED: PostgreSQL unreachable (${problem}); set ${URL_VAR}`);
    return;
  }
  const reads = await readCosts(url);
  const scale = await scaleCosts(url);
  const p50 = (a: Measurement, b: Measurement) => a.p50Ms! / b.p50Ms!;
  const tput = (a: Measurement, b: Measurement) => a.opsPerSec / b.opsPerSec;
  const c = CONCURRENCY;
  printChecks('Targets (PostgreSQL; baseline = the raw CTE sent with pool.query(text, values))', [
    check('statements (round trips) per adapter readSecret', reads.adapterStatements, '= 1', (v) => v === 1),
    check('p50 adapter readSecret / raw CTE, c=1', p50(reads.adapter1, reads.raw1), '<= 1.3', (v) => v <= 1.3),
    // The vault's reads add core's audit seal (a few statements every 1,000 events) to the one read.
    check('statements per audited getSecret, trusted (read + seal share)', reads.trustedStatements, '<= 1.02', (v) => v <= 1.02),
    check('statements per audited getSecret, scoped token (read + seal share)', reads.tokenStatements, '<= 1.02', (v) => v <= 1.02),
    check('p50 getSecret / raw CTE, c=1', p50(reads.vault1, reads.raw1), '<= 1.3', (v) => v <= 1.3),
    check('p50 token getSecret / raw CTE, c=1', p50(reads.token1, reads.raw1), '<= 1.3', (v) => v <= 1.3),
    check(`p50 getSecret / raw CTE, c=${c}`, p50(reads.vault32, reads.raw32), '<= 1.3', (v) => v <= 1.3),
    check(`ops/s getSecret / raw CTE, c=${c}`, tput(reads.vault32, reads.raw32), '>= 0.8', (v) => v >= 0.8),
    check(
      'list page p50, 1M / 10k secrets',
      p50(scale.largePage, scale.smallPage),
      '<= 1.5',
      (v) => v <= 1.5,
    ),
    check(
      'credential lookup p50, 1M / 10k tokens',
      p50(scale.largeToken, scale.smallToken),
      '<= 1.5',
      (v) => v <= 1.5,
    ),
    check(
      'maintenance listings p50, 1M / 10k secrets',
      p50(scale.largeMaintenance, scale.smallMaintenance),
      '<= 1.5',
      (v) => v <= 1.5,
    ),
    check('sealed audit trail verifies after the run', reads.auditOk ? 1 : 0, '= 1', (v) => v === 1),
  ]);
  printChecks('Same targets against the raw CTE as a named prepared statement (stricter)', [
    check(
      'p50 getSecret / prepared raw CTE, c=1',
      p50(reads.vault1, reads.rawPrepared1),
      '<= 1.3',
      (v) => v <= 1.3,
    ),
    check(
      `p50 getSecret / prepared raw CTE, c=${c}`,
      p50(reads.vault32, reads.rawPrepared32),
      '<= 1.3',
      (v) => v <= 1.3,
    ),
    check(
      `ops/s getSecret / prepared raw CTE, c=${c}`,
      tput(reads.vault32, reads.rawPrepared32),
      '>= 0.8',
      (v) => v >= 0.8,
    ),
    check('p50 adapter readSecret / prepared raw CTE, c=1', p50(reads.adapter1, reads.rawPrepared1), '<= 1.3', (v) => v <= 1.3),
  ]);
  console.log('\nWhere the difference goes (ratios of medians; no targets)');
  console.table(
    [
      ['p50 getSecret / adapter readSecret, c=1', p50(reads.vault1, reads.adapter1)],
      [`ops/s adapter readSecret / prepared raw CTE, c=${c}`, tput(reads.adapter32, reads.rawPrepared32)],
      [`ops/s getSecret / adapter readSecret, c=${c}`, tput(reads.vault32, reads.adapter32)],
    ].map(([figure, value]) => ({ figure, value: (value as number).toFixed(3) })),
  );
}

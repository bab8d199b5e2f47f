/**
 * Tag-filtered listing: the p50 of one `listSecrets(…, { tags })` page (50 of the 100 secrets that
 * carry the tag) on a tenant of 10,000 and of 100,000 secrets, measured in interleaved rounds. The
 * contract says a tag filter is served from an index, not a scan: the 100k page should cost about
 * what the 10k page does (target: p50 ratio ≤ 1.5). Each adapter is one entry of ADAPTERS
 * (PostgreSQL and Redis at AGENTVAULT_TEST_PG_URL / AGENTVAULT_TEST_REDIS_URL, in a throwaway schema
 * or key prefix; PostgreSQL's table is vacuumed and analyzed after the fill, see its `settle`).
 * Every adapter runs by default; AGENTVAULT_BENCH_ADAPTERS=memory,sqlite picks some.
 * An adapter that cannot be opened or filled (its server is down) prints `<name>: SKIPPED (<reason>)`
 * and counts as a failed check, so a run never shrinks silently; the others still run.
 *
 * The stores are filled through `writeVersion` with a fixed sealed-looking version (listing never
 * opens one), FILL_CONCURRENCY writes in flight at a time (SQLite is synchronous underneath, so there
 * they still run one after another). The measured call is the adapter's
 * `listSecrets` with the query the vault sends for `vault.listSecrets('', { tags, limit: 50 })`
 * (one more than the page, to know whether there is a next one): the part an index serves, without
 * the vault's audit append and sealing, which do not depend on the tenant's size.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { postgresAdapter } from '@agentvault/adapter-postgres';
import { dropSchema, testPool, uniqueSchema } from '@agentvault/adapter-postgres/testing';
import { deleteKeysUnder, redisAdapter, SAFE_CLIENT_OPTIONS } from '@agentvault/adapter-redis';
import { sqliteAdapter } from '@agentvault/adapter-sqlite';
import type { SecretRecord, StorageAdapter, VersionRecord } from '@agentvault/core';
import { Redis } from 'ioredis';
import { asyncOp, check, compare, printChecks, printMeasurements, type Check } from './lib';

const SIZES = [10_000, 100_000] as const;
/** How many secrets carry the needle tag, whatever the tenant's size. */
const MATCHES = 100;
const TENANT = 'bench';
const PAGE = 50;

interface AdapterUnderTest {
  name: string;
  open: () => Promise<StorageAdapter>;
  /** After the fill, before measuring: the upkeep a live server does on its own (PostgreSQL's autovacuum). */
  settle?: (storage: StorageAdapter) => Promise<string>;
}

/** The pool and schema of each PostgreSQL store opened, for `settle`. */
const pgStores = new WeakMap<StorageAdapter, { pool: ReturnType<typeof testPool>; schema: string }>();

const cleanups: Array<() => Promise<unknown>> = [];

const ADAPTERS: AdapterUnderTest[] = [
  { name: 'memory', open: async () => memoryAdapter() },
  {
    name: 'sqlite',
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'agentvault-tags-'));
      const storage = sqliteAdapter({ path: join(dir, 'vault.db') });
      cleanups.push(async () => {
        await storage.close();
        rmSync(dir, { recursive: true, force: true });
      });
      return storage;
    },
  },
  {
    name: 'postgres',
    open: async () => {
      const pool = testPool();
      const schema = uniqueSchema('tags');
      const storage = postgresAdapter({ pool }, { schema });
      cleanups.push(async () => {
        try {
          await dropSchema(pool, schema);
        } finally {
          await pool.end();
        }
      });
      await storage.migrate();
      pgStores.set(storage, { pool, schema });
      return storage;
    },
    // The planner picks the GIN index on tags only with statistics, and a GIN index first collects
    // new entries in an unsorted pending list that every tag query reads through until a VACUUM
    // merges it. Autovacuum does both on a live server; the test server runs with autovacuum off,
    // where a freshly filled table is listed by walking the whole tenant (ratio ~7.6 at 100k).
    settle: async (storage) => {
      const { pool, schema } = pgStores.get(storage)!;
      const { rows } = await pool.query<{ autovacuum: string }>(`SELECT current_setting('autovacuum') AS autovacuum`);
      await pool.query(`VACUUM ANALYZE "${schema}".secrets`);
      return `VACUUM ANALYZE of the secrets table after the fill (autovacuum is ${rows[0]?.autovacuum ?? '?'} on this server)`;
    },
  },
  {
    name: 'redis',
    open: async () => {
      const client = new Redis(process.env['AGENTVAULT_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379', SAFE_CLIENT_OPTIONS);
      const prefix = `avbench:tags:${randomBytes(4).toString('hex')}:`;
      // Wait for the connection, so a server that is down is its own error (not a queued command's).
      try {
        await new Promise<void>((resolve, reject) => {
          client.once('ready', () => {
            client.off('error', reject);
            resolve();
          });
          client.once('error', reject);
        });
      } catch (error) {
        client.disconnect();
        throw error;
      }
      cleanups.push(async () => {
        await deleteKeysUnder(client, prefix);
        await client.quit();
      });
      return redisAdapter({ client }, { prefix });
    },
  },
];
/**
 * `npm run bench -- tags` measures every adapter; AGENTVAULT_BENCH_ADAPTERS=memory,sqlite picks some
 * (an unknown name is an error, not an empty run).
 */
const named = (process.env['AGENTVAULT_BENCH_ADAPTERS'] ?? '').split(',').map((name) => name.trim()).filter(Boolean);
const wanted = named.length > 0 ? named : ADAPTERS.map((a) => a.name);
const unknownAdapters = wanted.filter((name) => !ADAPTERS.some((a) => a.name === name));
if (unknownAdapters.length > 0) {
  throw new Error(`AGENTVAULT_BENCH_ADAPTERS: unknown adapter(s) ${unknownAdapters.join(', ')}; known: ${ADAPTERS.map((a) => a.name).join(', ')}`);
}
/** Writes in flight while filling a store. */
const FILL_CONCURRENCY = 32;

async function fill(storage: StorageAdapter, size: number): Promise<void> {
  const now = Date.now();
  const ciphertext = randomBytes(48);
  const wrappedKey = { keyId: 'bench', ciphertext: randomBytes(40) };
  const every = size / MATCHES;
  const write = async (i: number): Promise<void> => {
    const path = `svc-${String(i % 97).padStart(2, '0')}/key-${String(i).padStart(6, '0')}`;
    const secret: SecretRecord = {
      tenant: TENANT, path, type: 'api_key', tier: 'standard', description: null,
      tags: { team: i % every === 0 ? 'needle' : `team-${i % 50}`, env: i % 2 ? 'prod' : 'dev' },
      currentVersion: 1, latestVersion: 1, createdAt: now, createdBy: 'app:bench', updatedAt: now, updatedBy: 'app:bench',
      accessedAt: null, expiresAt: null, trashedAt: null, purgeAt: null, rotation: null, pendingVersion: null,
    };
    const version: VersionRecord = {
      tenant: TENANT, path, version: 1, ciphertext, wrappedKey, createdAt: now, createdBy: 'app:bench', retiresAt: null,
    };
    await storage.writeVersion({
      mode: 'create',
      secret,
      version,
      expectedCurrentVersion: 0,
      patch: {},
      retirePreviousAt: null,
      event: {
        id: `evt_fill_${i}`, tenant: TENANT, type: 'secret.create', path, actor: 'app:bench',
        actorDescription: null, ip: null, userAgent: null, timestamp: now, details: {}, success: true, error: null, version: 1,
      },
    });
  };
  // A small worker pool over the index range: each worker takes the next index until none is left,
  // so FILL_CONCURRENCY writes are in flight; the first failure stops the others taking more.
  let next = 0;
  let failed = false;
  await Promise.all(
    Array.from({ length: Math.min(FILL_CONCURRENCY, size) }, async () => {
      while (!failed && next < size) {
        const i = next++;
        try {
          await write(i);
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    }),
  );
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];
const ratioFigure = (name: string) => `${name}: p50 at 100k ÷ p50 at 10k`;
const RATIO_TARGET = '≤ 1.5 (an index, not a scan)';

/** Run and empty the cleanups registered so far; a failing one is reported, not thrown. */
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0)) {
    try {
      await cleanup();
    } catch (error) {
      console.warn(`  cleanup failed: ${reasonOf(error)}`);
    }
  }
}

export async function run(): Promise<void> {
  const checks: Check[] = [];
  /** An adapter that could not be measured: said on its own line, and a failed check. */
  const notMeasured = (name: string, label: 'SKIPPED' | 'FAILED', error: unknown) => {
    console.log(`\n${name}: ${label} (${reasonOf(error)})`);
    checks.push(check(`${ratioFigure(name)} (${label}: not measured)`, Number.NaN, RATIO_TARGET, () => false));
  };
  for (const adapter of ADAPTERS.filter((a) => wanted.includes(a.name))) {
    const stores: StorageAdapter[] = [];
    try {
      const fillMs: number[] = [];
      try {
        for (const size of SIZES) {
          const started = performance.now();
          const storage = await adapter.open();
          stores.push(storage);
          await fill(storage, size);
          fillMs.push(performance.now() - started);
          const settled = await adapter.settle?.(storage);
          if (settled && size === SIZES[0]) console.log(`\n${adapter.name}: ${settled}`);
        }
      } catch (error) {
        notMeasured(adapter.name, 'SKIPPED', error);
        continue;
      }
      const [small, large] = stores as [StorageAdapter, StorageAdapter];
      console.log(
        `\n${adapter.name}: filled ${SIZES.map((size, i) => `${size.toLocaleString('en-US')} secrets in ${seconds(fillMs[i]!)}`).join(' and ')}`
        + ` (${FILL_CONCURRENCY} writes in flight)`,
      );
      const page = (storage: StorageAdapter) => async () => {
        const listed = await storage.listSecrets({
          tenant: TENANT,
          namespace: '',
          afterPath: null,
          limit: PAGE + 1,
          tags: { team: 'needle' },
          trashed: false,
        });
        if (listed.items.length !== PAGE + 1 || listed.total !== MATCHES) throw new Error('tag filter returned the wrong page');
      };
      try {
        const compared = await compare(
          asyncOp(`${adapter.name}: tag-filtered page, ${SIZES[0].toLocaleString('en-US')} secrets`, page(small)),
          asyncOp(`${adapter.name}: tag-filtered page, ${SIZES[1].toLocaleString('en-US')} secrets`, page(large)),
        );
        printMeasurements(
          `Tag-filtered listSecrets (${PAGE} of ${MATCHES} matches; medians of 7 interleaved rounds)`,
          [compared.baseline, compared.subject],
        );
        const ratio = compared.subject.p50Ms! / compared.baseline.p50Ms!;
        checks.push(check(ratioFigure(adapter.name), ratio, RATIO_TARGET, (r) => r <= 1.5));
      } catch (error) {
        notMeasured(adapter.name, 'FAILED', error);
      }
    } finally {
      await Promise.allSettled(stores.map((storage) => storage.close?.()));
      await cleanUp();
    }
  }
  printChecks('Tag filter checks', checks);
}

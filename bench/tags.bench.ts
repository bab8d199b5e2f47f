/**
 * Tag-filtered listing: the p50 of one `listSecrets(…, { tags })` page (50 of the 100 secrets that
 * carry the tag) on a tenant of 10,000 and of 100,000 secrets, measured in interleaved rounds. The
 * contract says a tag filter is served from an index, not a scan: the 100k page should cost about
 * what the 10k page does (target: p50 ratio ≤ 1.5). Each adapter is one entry of ADAPTERS
 * (PostgreSQL and Redis at AGENTVAULT_TEST_PG_URL / AGENTVAULT_TEST_REDIS_URL, in a throwaway schema
 * or key prefix).
 *
 * The stores are filled through `writeVersion` with a fixed sealed-looking version (listing never
 * opens one), so filling 100k secrets takes seconds. The measured call is the adapter's
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
import { asyncOp, check, compare, printChecks, printMeasurements } from './lib';

const SIZES = [10_000, 100_000] as const;
/** How many secrets carry the needle tag, whatever the tenant's size. */
const MATCHES = 100;
const TENANT = 'bench';
const PAGE = 50;

interface AdapterUnderTest {
  name: string;
  open: () => Promise<StorageAdapter>;
}

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
      await storage.migrate();
      cleanups.push(async () => {
        await dropSchema(pool, schema);
        await pool.end();
      });
      return storage;
    },
  },
  {
    name: 'redis',
    open: async () => {
      const client = new Redis(process.env['AGENTVAULT_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379', SAFE_CLIENT_OPTIONS);
      const prefix = `avbench:tags:${randomBytes(4).toString('hex')}:`;
      cleanups.push(async () => {
        await deleteKeysUnder(client, prefix);
        await client.quit();
      });
      return redisAdapter({ client }, { prefix });
    },
  },
];
/**
 * `npm run bench -- tags` measures memory; AGENTVAULT_BENCH_ADAPTERS=sqlite,postgres,redis picks
 * others (filling 110,000 secrets one write at a time takes minutes on those).
 */
const wanted = process.env['AGENTVAULT_BENCH_ADAPTERS']?.split(',') ?? ['memory'];

async function fill(storage: StorageAdapter, size: number): Promise<void> {
  const now = Date.now();
  const ciphertext = randomBytes(48);
  const wrappedKey = { keyId: 'bench', ciphertext: randomBytes(40) };
  const every = size / MATCHES;
  for (let i = 0; i < size; i++) {
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
  }
}

async function filled(adapter: AdapterUnderTest, size: number): Promise<StorageAdapter> {
  const storage = await adapter.open();
  await fill(storage, size);
  return storage;
}

export async function run(): Promise<void> {
  const checks = [];
  for (const adapter of ADAPTERS.filter((a) => wanted.includes(a.name))) {
    const started = performance.now();
    const [small, large] = [await filled(adapter, SIZES[0]), await filled(adapter, SIZES[1])];
    console.log(`\n${adapter.name}: filled ${SIZES.join(' and ')} secrets in ${((performance.now() - started) / 1000).toFixed(1)} s`);
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
    const compared = await compare(
      asyncOp(`${adapter.name}: tag-filtered page, ${SIZES[0].toLocaleString('en-US')} secrets`, page(small)),
      asyncOp(`${adapter.name}: tag-filtered page, ${SIZES[1].toLocaleString('en-US')} secrets`, page(large)),
    );
    printMeasurements(
      `Tag-filtered listSecrets (${PAGE} of ${MATCHES} matches; medians of 7 interleaved rounds)`,
      [compared.baseline, compared.subject],
    );
    const ratio = compared.subject.p50Ms! / compared.baseline.p50Ms!;
    checks.push(check(`${adapter.name}: p50 at 100k ÷ p50 at 10k`, ratio, '≤ 1.5 (an index, not a scan)', (r) => r <= 1.5));
    await Promise.all([small.close?.(), large.close?.()]);
  }
  for (const cleanup of cleanups.splice(0)) await cleanup();
  printChecks('Tag filter checks', checks);
}

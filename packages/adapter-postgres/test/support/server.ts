/** The test server: its URL, fresh pools and throwaway schemas. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_URL_VAR = 'AGENTVAULT_TEST_PG_URL';
export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

export function testUrl(): string {
  return process.env[PG_URL_VAR] || DEFAULT_PG_URL;
}

/** The URL without its password, for messages. */
export function redactedUrl(url = testUrl()): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export function testPool(options: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: testUrl(),
    max: 8,
    connectionTimeoutMillis: 5000,
    application_name: 'agentvault-test',
    ...options,
  });
  // Tests kill backends on purpose; an idle client's error must not crash the worker.
  pool.on('error', () => {});
  return pool;
}

/** A schema name no other run uses; recognisable if a crashed run leaves it behind. */
export function uniqueSchema(label: string): string {
  return `agentvault_test_${label}_${randomBytes(5).toString('hex')}`;
}

/** Drop a schema this run created (never one it did not). */
export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  if (!schema.startsWith('agentvault_test_')) throw new Error(`refusing to drop schema ${schema}`);
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/**
 * Where the tests find PostgreSQL, and whether it answers. Imports the driver only, never a
 * workspace package: vitest's global setup loads this outside the project's source resolution.
 */
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

/** Can the test server be reached? The problem, if not, names the URL without its password. */
export async function probePostgres(): Promise<string | null> {
  const client = new pg.Client({ connectionString: testUrl(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    const reason = error instanceof Error ? error.message || String((error as { code?: string }).code) : String(error);
    return `PostgreSQL is unreachable at ${redactedUrl()} (${reason}); set ${PG_URL_VAR}`;
  } finally {
    await client.end().catch(() => {});
  }
}

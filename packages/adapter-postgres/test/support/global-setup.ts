/**
 * Probes PostgreSQL once for the project. Unreachable under CI=true: the run fails. Otherwise: one
 * loud line naming the env var, and every test file skips.
 */
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { PG_URL_VAR, redactedUrl, testUrl } from './server';

declare module 'vitest' {
  export interface ProvidedContext {
    pgReachable: boolean;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const client = new pg.Client({ connectionString: testUrl(), connectionTimeoutMillis: 3000 });
  let problem: string | null = null;
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    problem =
      error instanceof Error ? error.message || String((error as { code?: string }).code) : String(error);
  } finally {
    await client.end().catch(() => {});
  }
  if (problem !== null) {
    const line = `PostgreSQL is unreachable at ${redactedUrl()} (${problem}); set ${PG_URL_VAR}`;
    if (process.env.CI === 'true') throw new Error(`adapter-postgres: ${line}`);
    console.warn(`\n!!! SKIPPING @agentvault/adapter-postgres tests: ${line} !!!\n`);
  }
  project.provide('pgReachable', problem === null);
}

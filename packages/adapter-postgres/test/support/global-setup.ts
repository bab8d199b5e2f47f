/**
 * Probes PostgreSQL once for the project. Unreachable under CI=true: the run fails. Otherwise: one
 * loud line naming the env var, and every test file skips.
 */
import type { TestProject } from 'vitest/node';
import { probePostgres } from '../../src/probe';

declare module 'vitest' {
  export interface ProvidedContext {
    pgReachable: boolean;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const problem = await probePostgres();
  if (problem !== null) {
    if (process.env.CI === 'true') throw new Error(`adapter-postgres: ${problem}`);
    console.warn(`\n!!! SKIPPING @agentvault/adapter-postgres tests: ${problem} !!!\n`);
  }
  project.provide('pgReachable', problem === null);
}

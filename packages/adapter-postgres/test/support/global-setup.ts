/**
 * Probes PostgreSQL once for the project and hands the problem (or null) to every file, which then
 * runs its suites or reports them skipped with it (`describeRequiring`; CI=true fails). Imports the
 * driver only: global setups load outside the project's `@agentvault/source` resolution.
 */
import type { TestProject } from 'vitest/node';
import { probePostgres } from '../../src/probe';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Why PostgreSQL cannot be used, or null when it answers. */
    pgProblem: string | null;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  project.provide('pgProblem', await probePostgres());
}

/**
 * Suites that need something outside the repo (a database server, a system command). When it is
 * missing, the suite's tests are still collected under their real names and reported as skipped,
 * each tagged with the reason (the root vitest config's skip summary lists them after the run), so
 * a run never shrinks silently. Under CI=true a failing test is added next to them: CI must run
 * everything.
 */
import { describe, it } from 'vitest';

declare module 'vitest' {
  interface TaskMeta {
    /** Why this test could not run here (set by `describeRequiring`). */
    unavailable?: string;
  }
}

/**
 * `describe(name, body)` when `problem` is null; otherwise the same tests, skipped with `problem`
 * as their reason — and, under CI=true, one failing test naming it.
 */
export function describeRequiring(problem: string | null, name: string, body: () => void): void {
  if (problem === null) {
    describe(name, body);
    return;
  }
  describe(name, { skip: true, meta: { unavailable: problem } }, body);
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('can run (required under CI=true)', () => {
        throw new Error(`${name}: cannot run: ${problem}`);
      });
    });
  }
}

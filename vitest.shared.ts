import { defineProject } from 'vitest/config';

/** One vitest project per package; tests resolve workspace siblings to their `src`. */
export function packageProject(name: string, overrides: { testTimeout?: number } = {}) {
  return defineProject({
    resolve: { conditions: ['@agentvault/source'] },
    ssr: { resolve: { conditions: ['@agentvault/source'] } },
    test: {
      name,
      include: ['test/**/*.test.ts'],
      testTimeout: overrides.testTimeout ?? 20_000,
    },
  });
}

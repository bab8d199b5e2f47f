import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'examples/*'],
    // The skip summary names every suite that could not run here (a server down) and why.
    reporters: ['default', './vitest.skips.ts'],
  },
});

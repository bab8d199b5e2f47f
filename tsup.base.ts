import type { Options } from 'tsup';

/** The build every package shares: ESM + CJS + .d.ts, siblings resolved to their dist. */
export function packageBuild(entry: Record<string, string>, overrides: Options = {}): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { customConditions: [] } },
    sourcemap: true,
    clean: true,
    target: 'node20',
    treeshake: true,
    splitting: true,
    esbuildOptions(options) {
      options.conditions = [];
    },
    ...overrides,
  };
}

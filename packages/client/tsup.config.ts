import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// The client uses only core's error classes (a module with no imports) and its result types, so both
// are bundled in: installing the client does not install core, zod and the rest (README, "Size").
export default defineConfig(
  packageBuild(
    { index: 'src/index.ts' },
    {
      noExternal: [/^@agentvault\/core(\/errors)?$/],
      dts: {
        resolve: [/^@agentvault\/core/],
        compilerOptions: {
          customConditions: [],
          paths: { '@agentvault/core': ['../core/src/index.ts'], '@agentvault/core/errors': ['../core/src/errors.ts'] },
        },
      },
    },
  ),
);

import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

export default defineConfig(
  packageBuild(
    {
      index: 'src/index.ts',
      errors: 'src/errors.ts',
      testing: 'src/testing/index.ts',
      http: 'src/http/index.ts',
      express: 'src/http/express.ts',
      koa: 'src/http/koa.ts',
      node: 'src/http/node-handler.ts',
    },
    // `shims`: the CJS build gets `import.meta.url`, which src/telemetry.ts loads the OpenTelemetry API from.
    { external: ['vitest', 'fast-check', 'express', 'koa'], shims: true },
  ),
);

import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// `shims`: the CJS build gets `import.meta.url`, which src/client.ts resolves the driver from.
export default defineConfig(
  packageBuild({ index: 'src/index.ts' }, { external: ['@agentvault/core', 'ioredis'], shims: true }),
);

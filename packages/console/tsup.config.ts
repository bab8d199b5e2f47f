import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

export default defineConfig(
  packageBuild(
    { index: 'src/index.ts', fetch: 'src/fetch.ts', express: 'src/express.ts', koa: 'src/koa.ts' },
    { external: ['@agentvault/core'] },
  ),
);

import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// `index` is the library (ESM + CJS + .d.ts); `main` is what bin/agentvault-mcp.js runs (the ESM one).
export default defineConfig(
  packageBuild(
    { index: 'src/index.ts', main: 'src/main.ts' },
    { external: ['@agentvault/client', '@modelcontextprotocol/sdk', 'zod'] },
  ),
);

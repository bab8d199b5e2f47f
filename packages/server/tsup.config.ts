import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// `index` is the library (startServer, loadConfig); `main` is what bin/agentvault-server.js runs.
export default defineConfig(packageBuild({ index: 'src/index.ts', main: 'src/main.ts' }));

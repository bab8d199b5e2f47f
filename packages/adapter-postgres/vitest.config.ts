import { mergeConfig } from 'vitest/config';
import { packageProject } from '../../vitest.shared.ts';

// One probe of the server for the whole project: it fails the run under CI=true when the server is
// unreachable, and otherwise prints one line and lets every file skip.
export default mergeConfig(packageProject('adapter-postgres', { testTimeout: 30_000 }), {
  test: { globalSetup: ['test/support/global-setup.ts'] },
});

import { mergeConfig } from 'vitest/config';
import { packageProject } from '../../vitest.shared.ts';

// One probe of the server for the whole project: when it is unreachable, every suite that needs it
// is reported skipped, by name and with the reason, and fails under CI=true.
export default mergeConfig(packageProject('adapter-postgres', { testTimeout: 30_000 }), {
  test: { globalSetup: ['test/support/global-setup.ts'] },
});

import { defineProject, mergeConfig } from 'vitest/config';
import { packageProject } from '../../vitest.shared.ts';

export default mergeConfig(
  packageProject('adapter-redis', { testTimeout: 30_000 }),
  defineProject({ test: { globalSetup: ['test/cluster-setup.ts'], hookTimeout: 60_000 } }),
);

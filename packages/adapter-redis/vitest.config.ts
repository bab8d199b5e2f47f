import { packageProject } from '../../vitest.shared.ts';

export default packageProject('adapter-redis', { testTimeout: 30_000 });

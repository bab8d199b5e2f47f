import { packageProject } from '../../vitest.shared.ts';

export default packageProject('console', { testTimeout: 60_000 });

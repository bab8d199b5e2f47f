import { packageProject } from '../../vitest.shared.ts';

export default packageProject('cli', { testTimeout: 30_000 });

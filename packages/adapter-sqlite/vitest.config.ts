import { packageProject } from '../../vitest.shared.ts';

export default packageProject('adapter-sqlite', { testTimeout: 30_000 });

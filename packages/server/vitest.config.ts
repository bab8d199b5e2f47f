import { packageProject } from '../../vitest.shared.ts';

export default packageProject('server', { testTimeout: 60_000 });

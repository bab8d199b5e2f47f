import { packageProject } from '../../vitest.shared.ts';

export default packageProject('mcp', { testTimeout: 30_000 });

import { packageProject } from '../../vitest.shared.ts';

// pytest starts the real server and runs ~100 tests; mypy --strict checks src and tests.
export default packageProject('python', { testTimeout: 600_000 });

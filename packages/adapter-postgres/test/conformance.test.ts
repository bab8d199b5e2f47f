import { runStorageConformance } from '@agentvault/core/testing';
import { describe, inject, it } from 'vitest';
import { postgresAdapter } from '../src/index';
import { postgresBackdoor } from './support/backdoor';
import { dropSchema, testPool, uniqueSchema } from './support/server';

if (inject('pgReachable')) {
  runStorageConformance('postgres', async () => {
    const schema = uniqueSchema('conformance');
    const pool = testPool();
    const twinPool = testPool();
    const storage = postgresAdapter({ pool }, { schema });
    await storage.migrate();
    return {
      storage,
      backdoor: postgresBackdoor(pool, schema),
      // A second adapter on its own pool: the two-instance races cross connections, not just calls.
      twin: () => postgresAdapter({ pool: twinPool }, { schema }),
      close: async () => {
        await twinPool.end();
        await dropSchema(pool, schema);
        await pool.end();
      },
    };
  });
} else {
  describe.skip('storage conformance: postgres (server unreachable)', () => it('runs against PostgreSQL'));
}

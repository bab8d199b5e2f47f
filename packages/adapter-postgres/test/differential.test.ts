/** The shared differential harness: seeded contract calls on PostgreSQL and on the memory adapter (the oracle). */
import { memoryAdapter } from '@agentvault/adapter-memory';
import { runDifferential } from '@agentvault/core/testing';
import { describe, inject, it } from 'vitest';
import { postgresAdapter } from '../src/index';
import { dropSchema, testPool, uniqueSchema } from '../src/testing';

if (inject('pgReachable')) {
  runDifferential(
    'postgres',
    async () => {
      const schema = uniqueSchema('differential');
      const pool = testPool();
      const storage = postgresAdapter({ pool }, { schema });
      await storage.migrate();
      return {
        storage,
        close: async () => {
          await dropSchema(pool, schema);
          await pool.end();
        },
      };
    },
    { reference: () => memoryAdapter() },
  );
} else {
  describe.skip('differential: postgres (server unreachable)', () => it('runs against PostgreSQL'));
}

/** The shared differential harness: seeded contract calls on PostgreSQL and on the memory adapter (the oracle). */
import { memoryAdapter } from '@agentvault/adapter-memory';
import { describeRequiring, runDifferential } from '@agentvault/core/testing';
import { inject } from 'vitest';
import { postgresAdapter } from '../src/index';
import { dropSchema, testPool, uniqueSchema } from '../src/testing';

describeRequiring(inject('pgProblem'), 'on PostgreSQL', () => {
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
});

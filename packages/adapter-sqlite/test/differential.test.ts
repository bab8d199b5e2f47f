/** The shared differential harness: seeded contract calls on SQLite and on the memory adapter (the oracle). */
import { memoryAdapter } from '@agentvault/adapter-memory';
import { runDifferential } from '@agentvault/core/testing';
import { sqliteTestFixture } from '../src/testing';

runDifferential(
  'sqlite',
  () => {
    const fixture = sqliteTestFixture();
    return { storage: fixture.storage, close: async () => fixture.close?.() };
  },
  { reference: () => memoryAdapter() },
);

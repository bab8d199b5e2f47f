import { runStorageConformance } from '@agentvault/core/testing';
import { describe, it } from 'vitest';
import { deleteKeysUnder, redisAdapter } from '../src/index';
import { announceSkip, newClient, redisAvailable, uniquePrefix } from './redis-env';

if (redisAvailable) {
  runStorageConformance('redis', () => {
    const prefix = uniquePrefix();
    const client = newClient();
    const twinClient = newClient();
    const storage = redisAdapter({ client }, { prefix });
    return {
      storage,
      backdoor: storage.backdoor(),
      twin: () => redisAdapter({ client: twinClient }, { prefix }),
      close: async () => {
        await deleteKeysUnder(client, prefix);
        await Promise.all([client.quit(), twinClient.quit()]);
      },
    };
  });
} else {
  announceSkip();
  describe.skip('storage conformance: redis (server unreachable)', () => it('runs', () => undefined));
}

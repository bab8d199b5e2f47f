/** The storage conformance suite on Redis, once with each supported ioredis major. */
import { describeRequiring, runStorageConformance } from '@agentvault/core/testing';
import { deleteKeysUnder, redisAdapter } from '../src/index';
import { driverClient, drivers, type Driver, redisProblem, uniquePrefix } from './redis-env';

for (const driver of Object.keys(drivers) as Driver[]) {
  describeRequiring(redisProblem, `on Redis with ${driver}`, () => {
    runStorageConformance(`redis (${driver})`, () => {
      const prefix = uniquePrefix();
      const client = driverClient(driver);
      const twinClient = driverClient(driver);
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
  });
}

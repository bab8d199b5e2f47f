/** The whole shared conformance suite again, on the three-node Redis Cluster of test/cluster-setup.ts. */
import { describeRequiring, runStorageConformance } from '@agentvault/core/testing';
import { Cluster } from 'ioredis';
import { inject } from 'vitest';
import { deleteKeysUnder, redisAdapter, SAFE_CLUSTER_OPTIONS } from '../src/index';
import { uniquePrefix } from './redis-env';

const cluster = inject('redisCluster');

export function clusterClient(): Cluster {
  const client = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })), SAFE_CLUSTER_OPTIONS);
  client.on('error', () => undefined);
  return client;
}

describeRequiring(cluster.skipped, 'on Redis Cluster', () => {
  runStorageConformance('redis cluster', () => {
    const prefix = uniquePrefix();
    const client = clusterClient();
    const twinClient = clusterClient();
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

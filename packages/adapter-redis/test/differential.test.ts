/** The shared differential harness (memory as the oracle) against Redis, on one node and on the cluster. */
import { memoryAdapter } from '@agentvault/adapter-memory';
import { describeRequiring, runDifferential } from '@agentvault/core/testing';
import { Cluster } from 'ioredis';
import { inject } from 'vitest';
import { deleteKeysUnder, type RedisClientLike, redisAdapter, SAFE_CLUSTER_OPTIONS } from '../src/index';
import { newClient, redisProblem, uniquePrefix } from './redis-env';

const cluster = inject('redisCluster');

function factory(connect: () => RedisClientLike) {
  return () => {
    const client = connect();
    const prefix = uniquePrefix();
    return {
      storage: redisAdapter({ client }, { prefix }),
      close: async () => {
        await deleteKeysUnder(client, prefix);
        await client.quit();
      },
    };
  };
}

describeRequiring(redisProblem, 'on Redis', () => {
  runDifferential('redis', factory(newClient), { reference: () => memoryAdapter() });
});

describeRequiring(cluster.skipped, 'on Redis Cluster', () => {
  const connect = () => {
    const client = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })), SAFE_CLUSTER_OPTIONS);
    client.on('error', () => undefined);
    return client;
  };
  runDifferential('redis cluster', factory(connect), { reference: () => memoryAdapter() });
});

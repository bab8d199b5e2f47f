/**
 * @agentvault/adapter-redis — AgentVault storage on Redis or Redis Cluster via ioredis.
 *
 *   const storage = redisAdapter({ url: 'redis://127.0.0.1:6379' }, { prefix: 'vault:' });
 *   const storage = redisAdapter({ client: new Cluster(nodes, SAFE_CLUSTER_OPTIONS) });
 *   const vault = createVault({ storage, keys });
 */
import type { RedisOptions } from 'ioredis';
import { RedisAdapter, type RedisAdapterOptions } from './adapter';
import { connect, type RedisClientLike } from './client';

export { RedisAdapter, type RedisAdapterOptions } from './adapter';
export { deleteKeysUnder } from './backdoor';
export { type RedisClientLike, SAFE_CLIENT_OPTIONS, SAFE_CLUSTER_OPTIONS } from './client';

/** A client you made (a `Redis` or `Cluster` with the safe options), or a URL for the adapter to connect to. */
export type RedisConnection = { client: RedisClientLike } | { url: string; clientOptions?: RedisOptions };

export function redisAdapter(connection: RedisConnection, options: RedisAdapterOptions = {}): RedisAdapter {
  if ('client' in connection) return new RedisAdapter(connection.client, options);
  return new RedisAdapter(connect(connection.url, connection.clientOptions), { ownsClient: true, ...options });
}
export { exportLegacy, importLegacy, type LegacyExport, legacyToJsonl } from './legacy';

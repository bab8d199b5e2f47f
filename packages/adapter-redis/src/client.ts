/**
 * The Redis client the adapter needs, typed structurally: an ioredis `Redis` fits, and so does
 * anything with the same `call` / `callBuffer` methods. Scripts run by EVALSHA, falling back to
 * EVAL (which loads them) when the server's script cache does not hold them.
 */
import { createHash } from 'node:crypto';
import { AgentVaultConfigurationError } from '@agentvault/core/errors';
import type { Redis, RedisOptions } from 'ioredis';
import type { Arg, Reply } from './codec';
import { requireDriver } from './driver';

export interface RedisClientLike {
  /** Run one command; replies decoded as UTF-8 strings. */
  call(command: string, ...args: Arg[]): Promise<unknown>;
  /** Run one command; bulk replies as Buffers. */
  callBuffer(command: string, ...args: Arg[]): Promise<unknown>;
  quit(): Promise<unknown>;
  /** ioredis options, checked when present. */
  readonly options?: { maxRetriesPerRequest?: number | null; keyPrefix?: string };
}

/**
 * Options for a client the adapter makes from a URL. `maxRetriesPerRequest: 0` rejects every
 * in-flight command the moment its connection drops, instead of resending a script that may have
 * run already (a second run would fail on its duplicate audit event id and report a refusal for a
 * write that happened). Commands issued while reconnecting wait in the offline queue: they were
 * never sent, so sending them on the new connection is safe.
 */
export const SAFE_CLIENT_OPTIONS = {
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  enableOfflineQueue: true,
  connectTimeout: 5_000,
} satisfies RedisOptions;

/** A client from a URL; ioredis is loaded here, so a missing driver is a configuration error now. */
export function connect(url: string, options: RedisOptions = {}): Redis {
  const ioredis = requireDriver<{ Redis: typeof Redis }>('ioredis', 'redisAdapter({ url })');
  return new ioredis.Redis(url, { ...SAFE_CLIENT_OPTIONS, ...options });
}

/**
 * Refuse an ioredis client that would resend or endlessly hold a script after a dropped connection,
 * or that prefixes keys itself (ioredis cannot prefix the keys a script derives, so the adapter's
 * plain commands and its scripts would address different keys).
 */
export function assertSafeClient(client: RedisClientLike): void {
  if (client.options?.keyPrefix) {
    throw new AgentVaultConfigurationError(
      'redis: the client has a keyPrefix; leave it unset and give the adapter\'s `prefix` option instead',
    );
  }
  const retries = client.options?.maxRetriesPerRequest;
  if (client.options && retries !== 0) {
    throw new AgentVaultConfigurationError(
      `redis: the client must be created with maxRetriesPerRequest: 0 (it has ${String(retries)}), so a `
      + 'command in flight when the connection drops fails instead of being sent again or held forever',
    );
  }
}

export interface Script {
  name: string;
  source: string;
  sha: string;
}

export function script(name: string, source: string): Script {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

export async function runScript(
  client: RedisClientLike,
  script: Script,
  args: Arg[],
  binary = false,
): Promise<Reply> {
  const run = (binary ? client.callBuffer : client.call).bind(client);
  try {
    return (await run('EVALSHA', script.sha, 0, ...args)) as Reply;
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return (await run('EVAL', script.source, 0, ...args)) as Reply;
  }
}

/**
 * The Redis client the adapter needs (an ioredis `Redis` or `Cluster`, typed structurally), the
 * options that make it safe, script calls and error mapping.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import {
  AgentVaultConfigurationError, AgentVaultConflictError, AgentVaultError, AgentVaultUnavailableError, requireDriver,
} from '@agentvault/core';
import type { ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { SCRIPT_SOURCES, type ScriptName } from './lua';

export type Arg = string | number | Buffer;

/** What the adapter calls: an ioredis `Redis` or `Cluster` fits. */
export interface RedisClientLike {
  call(command: string, ...args: Arg[]): Promise<unknown>;
  quit(): Promise<unknown>;
  /** ioredis `Redis` options, checked when present. */
  readonly options?: object;
  /** ioredis `Cluster`: its master nodes (for SCAN across the cluster). */
  nodes?(role: 'master'): RedisClientLike[];
}

/**
 * Options for a `Redis` client: `maxRetriesPerRequest: 0` rejects every in-flight command the
 * moment its connection drops, instead of resending a script that may have run already. Commands
 * issued while reconnecting wait in the offline queue: never sent, so safe to send later.
 */
export const SAFE_CLIENT_OPTIONS = {
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  enableOfflineQueue: true,
  connectTimeout: 5_000,
} satisfies RedisOptions;

/** A client from a URL; ioredis is loaded here, so a missing driver is a configuration error now. */
export function connect(url: string, options: RedisOptions = {}): Redis {
  // Resolved from this package (tsup's `shims` give the CJS build `import.meta.url`): ioredis is its peer.
  const ioredis = requireDriver<{ Redis: typeof Redis }>(createRequire(import.meta.url), 'ioredis', 'redisAdapter({ url })');
  return new ioredis.Redis(url, { ...SAFE_CLIENT_OPTIONS, ...options });
}

/**
 * Options for a `Cluster`: the same per node, and no resend of a command whose connection closed
 * (`retryDelayOnFailover: 0`). MOVED / ASK / TRYAGAIN redirections stay on: the script did not run.
 */
export const SAFE_CLUSTER_OPTIONS = {
  redisOptions: SAFE_CLIENT_OPTIONS,
  retryDelayOnFailover: 0,
  enableOfflineQueue: true,
} satisfies ClusterOptions;

/** Refuse a client that would resend a script after a dropped connection, or that prefixes keys itself. */
export function assertSafeClient(client: RedisClientLike): void {
  const options = client.options as (RedisOptions & ClusterOptions) | undefined;
  if (!options) return;
  const isCluster = typeof client.nodes === 'function';
  const node = (isCluster ? options.redisOptions : options) ?? {};
  if (node.keyPrefix || options.keyPrefix) {
    throw new AgentVaultConfigurationError(
      'redis: the client has a keyPrefix; leave it unset and give the adapter\'s `prefix` option instead',
    );
  }
  if (node.maxRetriesPerRequest !== 0 || (isCluster && options.retryDelayOnFailover !== 0)) {
    throw new AgentVaultConfigurationError(
      'redis: create the client with SAFE_CLIENT_OPTIONS (Redis) or SAFE_CLUSTER_OPTIONS (Cluster), so a '
      + 'command in flight when its connection drops fails instead of being sent again',
    );
  }
}

const SHAS = Object.fromEntries(
  Object.entries(SCRIPT_SOURCES).map(([name, source]) => [name, createHash('sha1').update(source).digest('hex')]),
) as Record<ScriptName, string>;

/** Run a script on the slot of `base` (EVALSHA; EVAL loads it where the node's cache lacks it). */
export async function runScript(client: RedisClientLike, name: ScriptName, base: string, args: Arg[]): Promise<unknown> {
  try {
    return await client.call('EVALSHA', SHAS[name], 1, base, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return client.call('EVAL', SCRIPT_SOURCES[name], 1, base, ...args);
  }
}

/** Server replies that mean "not now" rather than "wrong". */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/;

/** The `AVERR` refusal of a script: its code and detail, or null. */
export function refusalOf(error: unknown): { code: string; detail: string } | null {
  const match = error instanceof Error ? /AVERR (\w+) ?(\S*)/.exec(error.message) : null;
  return match ? { code: match[1]!, detail: match[2]! } : null;
}

/**
 * The driver error as a cause, without the `command` ioredis attaches to it: its arguments are
 * ciphertexts and event JSON, which have no business in a log.
 */
function bareCause(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const cause = new Error(error.message);
  cause.name = error.name;
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) Object.assign(cause, { code });
  return cause;
}

/** Any failure of a client call, as the error the adapter throws. */
export function redisError(error: unknown): Error {
  if (error instanceof AgentVaultError) return error;
  const refusal = refusalOf(error);
  if (refusal?.code === 'conflict') return new AgentVaultConflictError('redis: the record changed since it was read');
  if (refusal?.code === 'duplicate_event') return new AgentVaultConflictError('redis: an audit event with this id exists');
  const message = error instanceof Error ? error.message : String(error);
  const isReply = error instanceof Error && error.name === 'ReplyError';
  if (!isReply || TRANSIENT_REPLY.test(message)) {
    return new AgentVaultUnavailableError(`redis: unavailable (${message.slice(0, 200)})`, { cause: bareCause(error) });
  }
  return new AgentVaultError(`redis: ${message.slice(0, 200)}`, 'internal_error', 500, { cause: bareCause(error) });
}

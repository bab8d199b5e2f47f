/**
 * The Redis server the tests run against: AGENTVAULT_TEST_REDIS_URL, default redis://127.0.0.1:6379.
 * Unreachable: every suite that needs it is reported skipped, by name and with `redisProblem` as the
 * reason (`describeRequiring`), and fails under CI=true.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { SAFE_CLIENT_OPTIONS } from '../src/index';

export const REDIS_URL = process.env.AGENTVAULT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function probe(): Promise<boolean> {
  const client = new Redis(REDIS_URL, {
    ...SAFE_CLIENT_OPTIONS,
    lazyConnect: true,
    connectTimeout: 2_000,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export const redisAvailable = await probe();

/** Why the Redis suites cannot run here, or null. */
export const redisProblem = redisAvailable ? null : `Redis at ${REDIS_URL} is unreachable (set AGENTVAULT_TEST_REDIS_URL)`;

/** The client majors the adapter supports (its peer range): the conformance suite runs on each. */
export const drivers = { 'ioredis 6': Redis, 'ioredis 5': Redis5 } as const;
export type Driver = keyof typeof drivers;

/** A client with the adapter's safe options. */
export function newClient(): Redis {
  const client = new Redis(REDIS_URL, SAFE_CLIENT_OPTIONS);
  client.on('error', () => undefined);
  return client;
}

/** The same, of the given ioredis major. */
export function driverClient(driver: Driver): Redis | Redis5 {
  const client = driver === 'ioredis 5' ? new Redis5(REDIS_URL, SAFE_CLIENT_OPTIONS) : new Redis(REDIS_URL, SAFE_CLIENT_OPTIONS);
  client.on('error', () => undefined);
  return client;
}

/** A key prefix no other run uses. */
export function uniquePrefix(): string {
  return `avtest:${randomBytes(6).toString('hex')}:`;
}

/**
 * The Redis server the tests run against: AGENTVAULT_TEST_REDIS_URL, default redis://127.0.0.1:6379.
 * Unreachable: with CI=true every Redis test file fails; elsewhere they skip, and the conformance file
 * prints one loud line.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
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

const unreachable = `Redis at ${REDIS_URL} is unreachable (set AGENTVAULT_TEST_REDIS_URL)`;
if (!redisAvailable && process.env.CI === 'true') {
  throw new Error(`${unreachable}: the Redis tests cannot run in CI without it`);
}

/** The one loud line of a skipped run (printed by the conformance file only, not by every file). */
export function announceSkip(): void {
  if (!redisAvailable)
    console.warn(`\n!!! SKIPPING the @agentvault/adapter-redis tests: ${unreachable} !!!\n`);
}

/** A client with the adapter's safe options. */
export function newClient(): Redis {
  const client = new Redis(REDIS_URL, SAFE_CLIENT_OPTIONS);
  client.on('error', () => undefined);
  return client;
}

/** A key prefix no other run uses. */
export function uniquePrefix(): string {
  return `avtest:${randomBytes(6).toString('hex')}:`;
}

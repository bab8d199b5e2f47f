/** Token buckets: the arithmetic, the in-memory limiter, and the Redis limiter on the real Redis. */
import { randomBytes, randomUUID } from 'node:crypto';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AgentVaultUnavailableError } from '../../src/errors';
import { addressGuard } from '../../src/http/address-guard';
import { memoryRateLimiter } from '../../src/http/rate-limit/memory';
import { type RedisScriptClient, redisRateLimiter } from '../../src/http/rate-limit/redis';
import type { RateLimiter } from '../../src/http/rate-limit/token-bucket';
import { bucketConfig, takeFromBucket } from '../../src/http/rate-limit/token-bucket';
import { refusalAudit } from '../../src/http/refusal-audit';
import { describeRequiring } from '../../src/testing/requires';
import { testKeyWrapper } from '../../src/testing/key-wrappers';
import { createVault } from '../../src/vault/create-vault';
import type { RefusalBatch } from '../../src/vault/edge';
import { startExpress } from './support/servers';
import { client } from './support/world';

const T0 = Date.UTC(2026, 0, 15, 10, 30);

describe('token bucket', () => {
  it('bursts to the limit, then refills evenly over the window', () => {
    const config = bucketConfig({ limit: 4, windowSeconds: 2 });
    let state: ReturnType<typeof takeFromBucket>['state'] | undefined;
    const take = (now: number) => {
      const result = takeFromBucket(state, now, config);
      state = result.state;
      return result.allowed;
    };
    expect([take(T0), take(T0), take(T0), take(T0), take(T0)]).toEqual([true, true, true, true, false]);
    expect(take(T0 + 499)).toBe(false);
    expect(take(T0 + 500)).toBe(true);
    // A clock that goes back refills nothing and spends nothing it does not have.
    expect(take(T0 + 100)).toBe(false);
    expect(take(T0 + 10_000)).toBe(true);
    expect(state!.tokens).toBe(3);
  });

  it('refuses bad settings', () => {
    expect(() => bucketConfig({ limit: 0 })).toThrow(TypeError);
    expect(() => bucketConfig({ windowSeconds: 0 })).toThrow(TypeError);
  });
});

/** The behaviour every limiter shares, with `key` unique to the test. */
function limiterBehaviour(make: (limit: number, windowSeconds: number) => RateLimiter) {
  it('reports limit, remaining, reset and retryAfter per key', async () => {
    const limiter = make(2, 10);
    const key = `k:${randomUUID()}`;
    expect(await limiter.take(key, T0)).toEqual({
      allowed: true,
      limit: 2,
      remaining: 1,
      reset: Math.ceil((T0 + 5000) / 1000),
      retryAfter: 0,
    });
    expect((await limiter.take(key, T0)).remaining).toBe(0);
    expect(await limiter.take(key, T0)).toMatchObject({ allowed: false, remaining: 0, retryAfter: 5 });
    expect((await limiter.take(`other:${randomUUID()}`, T0)).allowed).toBe(true);
    expect((await limiter.take(key, T0 + 5000)).allowed).toBe(true);
  });
}

describe('memoryRateLimiter', () => {
  limiterBehaviour((limit, windowSeconds) => memoryRateLimiter({ limit, windowSeconds }));

  it('keeps at most maxKeys buckets', () => {
    const limiter = memoryRateLimiter({ limit: 1, windowSeconds: 60, maxKeys: 2 });
    void limiter.take('a', T0);
    void limiter.take('b', T0);
    void limiter.take('c', T0);
    // `a` was evicted and comes back full; `c` is still empty.
    expect((limiter.take('a', T0) as { allowed: boolean }).allowed).toBe(true);
    expect((limiter.take('c', T0) as { allowed: boolean }).allowed).toBe(false);
  });

  it('stays bounded under a flood of distinct keys (addresses or credentials)', () => {
    const limiter = memoryRateLimiter({ limit: 5, windowSeconds: 60, maxKeys: 1000 });
    for (let i = 0; i < 50_000; i++) void limiter.take(`ip:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, T0);
    expect(limiter.size).toBe(1000);
  });
});

describe('the edge bounds', () => {
  it('the address guard keeps at most maxAddresses blocks, and forgets a block once it ends', () => {
    const guard = addressGuard(100);
    const refusal = { allowed: false, limit: 100, remaining: 0, reset: 0, retryAfter: 2 };
    for (let i = 0; i < 10_000; i++) guard.block(`2001:db8::${i.toString(16)}`, refusal, T0);
    expect(guard.size).toBe(100);
    expect(guard.blocked('2001:db8::270f', T0 + 1000)).toMatchObject({ allowed: false, retryAfter: 1 });
    expect(guard.blocked('2001:db8::0', T0)).toBeNull(); // evicted
    expect(guard.blocked('2001:db8::270f', T0 + 2000)).toBeNull();
    expect(guard.size).toBe(99);
  });

  it('the refusal audit holds at most maxAddresses entries per window, plus one overflow, and writes each once', async () => {
    const batches: RefusalBatch[] = [];
    const audit = refusalAudit(
      async (batch) => {
        batches.push(batch);
      },
      { warn() {}, error() {} },
      { windowSeconds: 60, maxAddresses: 50 },
    );
    const start = Math.floor(T0 / 60_000) * 60_000;
    for (let i = 0; i < 20_000; i++)
      audit.record('auth.failed', 'unauthorized', `10.0.${(i >> 8) & 255}.${i & 255}`, undefined, start + (i % 1000));
    expect(audit.size).toBe(51);
    audit.flushDue(start + 59_999);
    expect(batches).toHaveLength(0);
    audit.flushDue(start + 60_000);
    await vi.waitFor(() => expect(batches).toHaveLength(51));
    expect(audit.size).toBe(0);
    expect(batches.reduce((sum, batch) => sum + batch.counts.unauthorized!, 0)).toBe(20_000);
    expect(batches.filter((batch) => batch.overflow)).toEqual([
      expect.objectContaining({ ip: null, counts: { unauthorized: 20_000 - 50 }, windowStart: start }),
    ]);
  });
});

const REDIS_URL = process.env.AGENTVAULT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function reachable(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

const redisProblem = (await reachable(REDIS_URL))
  ? null
  : `Redis at ${REDIS_URL} is unreachable (set AGENTVAULT_TEST_REDIS_URL)`;

describeRequiring(redisProblem, 'redisRateLimiter (real Redis)', () => {
  const prefix = `agentvault-test:${randomUUID()}:`;
  const clients: Redis[] = [];
  const connect = () => {
    const redis = new Redis(REDIS_URL);
    clients.push(redis);
    return redis;
  };
  let redis: Redis;

  beforeAll(() => {
    redis = connect();
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await Promise.all(clients.map((c) => c.quit()));
  });

  limiterBehaviour((limit, windowSeconds) =>
    redisRateLimiter({ client: redis, limit, windowSeconds, keyPrefix: prefix }),
  );

  it('lets exactly `limit` requests through when two instances race for one bucket', async () => {
    const one = redisRateLimiter({ client: connect(), limit: 25, windowSeconds: 3600, keyPrefix: prefix });
    const two = redisRateLimiter({ client: connect(), limit: 25, windowSeconds: 3600, keyPrefix: prefix });
    const key = `race:${randomUUID()}`;
    const decisions = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? one : two).take(key, T0)),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(25);
  });

  it('stores only a hash per bucket that expires once it would be full again', async () => {
    const limiter = redisRateLimiter({ client: redis, limit: 10, windowSeconds: 10, keyPrefix: prefix });
    const key = `ttl:${randomUUID()}`;
    await limiter.take(key, Date.now());
    const ttl = await redis.pttl(prefix + key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2000);
    expect(Object.keys(await redis.hgetall(prefix + key)).sort()).toEqual(['t', 'u']);
  });

  it('loads its script when Redis has not seen it (NOSCRIPT)', async () => {
    let evalshaCalls = 0;
    const forgetful: RedisScriptClient = {
      evalsha: async () => {
        evalshaCalls++;
        throw new Error('NOSCRIPT No matching script. Please use EVAL.');
      },
      eval: (script, numKeys, ...args) => redis.eval(script, numKeys, ...args),
    };
    const limiter = redisRateLimiter({ client: forgetful, limit: 1, windowSeconds: 60, keyPrefix: prefix });
    expect((await limiter.take(`ns:${randomUUID()}`, T0)).allowed).toBe(true);
    expect(evalshaCalls).toBe(1);
  });

  it('shares limits across two servers, and a Redis outage is let through or refused as configured', async () => {
    const vault = createVault({ storage: memoryAdapter(), keys: testKeyWrapper() });
    const key = (await vault.createAgentKey()).value;
    const shared = () =>
      redisRateLimiter({ client: connect(), limit: 3, windowSeconds: 3600, keyPrefix: prefix });
    const a = await startExpress()(vault, { rateLimiter: shared() });
    const b = await startExpress()(vault, { rateLimiter: shared() });
    try {
      const statuses = [];
      for (const server of [a, b, a, b])
        statuses.push((await client(server.url, key).request('GET', '/secrets')).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }

    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
    down.on('error', () => undefined);
    const broken = redisRateLimiter({ client: down, keyPrefix: prefix });
    await expect(broken.take('x', T0)).rejects.toBeInstanceOf(AgentVaultUnavailableError);
    const errors: string[] = [];
    const logger = { warn() {}, error: (message: string) => errors.push(message) };
    const open = await startExpress()(vault, { rateLimiter: broken, logger });
    const closed = await startExpress()(vault, { rateLimiter: broken, logger, rateLimiterFailure: 'deny' });
    try {
      expect((await client(open.url, key).request('GET', '/secrets')).status).toBe(200);
      expect(errors).toEqual(['rate limiter failed; request let through']);
      const refused = await client(closed.url, key).request('GET', '/secrets');
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
    } finally {
      await Promise.all([open.close(), closed.close()]);
      down.disconnect();
    }
  });

  it('limits a random-credential flood per address across two servers, with no key per credential', async () => {
    const vault = createVault({ storage: memoryAdapter(), keys: testKeyWrapper(), logger: { warn() {}, error() {} } });
    const floodPrefix = `${prefix}flood:${randomUUID()}:`;
    const limiters = () => ({
      rateLimiter: redisRateLimiter({ client: connect(), keyPrefix: floodPrefix }),
      failedAuthLimiter: redisRateLimiter({ client: connect(), limit: 20, windowSeconds: 3600, keyPrefix: floodPrefix }),
    });
    const a = await startExpress()(vault, limiters());
    const b = await startExpress()(vault, limiters());
    try {
      const statuses: number[] = [];
      for (let batch = 0; batch < 20; batch++) {
        const replies = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            client((i % 2 === 0 ? a : b).url, `ast_tok_${randomBytes(24).toString('base64url')}`).request(
              'GET',
              '/secrets',
            ),
          ),
        );
        statuses.push(...replies.map((reply) => reply.status));
      }
      const unauthorized = statuses.filter((s) => s === 401).length;
      expect(unauthorized).toBeGreaterThanOrEqual(20);
      // The shared budget, plus requests in flight on each instance when it ran out.
      expect(unauthorized).toBeLessThanOrEqual(20 + 10);
      expect(statuses.filter((s) => s === 429).length).toBe(200 - unauthorized);
      // One bucket for the address; none for the 200 made-up credentials.
      expect(await redis.keys(`${floodPrefix}*`)).toEqual([`${floodPrefix}f:127.0.0.1`]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

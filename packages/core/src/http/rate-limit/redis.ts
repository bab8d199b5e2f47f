/**
 * Token buckets in Redis, shared by every instance behind a load balancer. One Lua script refills
 * and takes atomically, so concurrent requests on different instances never both spend the last
 * token. Each bucket is a small hash that expires once it would be full again.
 */
import { createHash } from 'node:crypto';
import { AgentVaultUnavailableError } from '../../errors';
import { bucketConfig, decisionFor, type RateLimiter, type TokenBucketOptions } from './token-bucket';

/** The two commands the limiter needs; an ioredis `Redis` or `Cluster` fits as it is. */
export interface RedisScriptClient {
  evalsha(sha1: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

export interface RedisRateLimiterOptions extends TokenBucketOptions {
  client: RedisScriptClient;
  /** Prepended to every bucket key. Default `agentvault:ratelimit:`. */
  keyPrefix?: string;
}

// KEYS[1] bucket; ARGV: capacity, tokens per ms, now (ms). Returns {allowed (0/1), tokens (text)}.
const TAKE_SCRIPT = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens = tonumber(state[1])
local updated = tonumber(state[2])
if tokens == nil or updated == nil then
  tokens = capacity
  updated = now
elseif now > updated then
  tokens = math.min(capacity, tokens + (now - updated) * rate)
  updated = now
end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
local text = string.format('%.17g', tokens)
redis.call('HSET', KEYS[1], 't', text, 'u', string.format('%.0f', updated))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate) + 1000)
return {allowed, text}
`;
const TAKE_SHA = createHash('sha1').update(TAKE_SCRIPT).digest('hex');

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

export function redisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  if (!options?.client) throw new TypeError('redisRateLimiter: `client` (an ioredis client) is required');
  const config = bucketConfig(options);
  const prefix = options.keyPrefix ?? 'agentvault:ratelimit:';
  const { client } = options;
  return {
    async take(key, now) {
      const args = [prefix + key, config.capacity, String(config.refillPerMs), Math.floor(now)] as const;
      let reply: unknown;
      try {
        try {
          reply = await client.evalsha(TAKE_SHA, 1, ...args);
        } catch (error) {
          if (!isNoScript(error)) throw error;
          reply = await client.eval(TAKE_SCRIPT, 1, ...args);
        }
      } catch (error) {
        throw new AgentVaultUnavailableError('redisRateLimiter: Redis did not answer', { cause: error });
      }
      if (!Array.isArray(reply) || reply.length !== 2)
        throw new AgentVaultUnavailableError('redisRateLimiter: unexpected reply from the rate-limit script');
      const allowed = Number(reply[0]) === 1;
      return decisionFor(Number(reply[1]), allowed, now, config);
    },
  };
}

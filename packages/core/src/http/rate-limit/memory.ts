/** Token buckets in process memory: right for one instance; several instances need `redisRateLimiter`. */
import { LRUCache } from 'lru-cache';
import {
  type BucketState,
  bucketConfig,
  decisionFor,
  type RateLimiter,
  type TokenBucketOptions,
  takeFromBucket,
} from './token-bucket';

export interface MemoryRateLimiterOptions extends TokenBucketOptions {
  /**
   * Buckets kept at most; the least recently used go first. An evicted bucket comes back full,
   * so the bound trades a little leniency under a flood of distinct keys for bounded memory.
   * Default 100,000.
   */
  maxKeys?: number;
}

export interface MemoryRateLimiter extends RateLimiter {
  /** Buckets held now (at most `maxKeys`). */
  readonly size: number;
}

export function memoryRateLimiter(options: MemoryRateLimiterOptions = {}): MemoryRateLimiter {
  const config = bucketConfig(options);
  const maxKeys = options.maxKeys ?? 100_000;
  if (!Number.isSafeInteger(maxKeys) || maxKeys <= 0)
    throw new TypeError('memoryRateLimiter: `maxKeys` must be a positive integer');
  const buckets = new LRUCache<string, BucketState>({ max: maxKeys });
  return {
    get size() {
      return buckets.size;
    },
    take(key, now) {
      const { state, allowed } = takeFromBucket(buckets.get(key), now, config);
      buckets.set(key, state);
      return decisionFor(state.tokens, allowed, now, config);
    },
  };
}

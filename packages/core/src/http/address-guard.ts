/**
 * Addresses that used up their failed-authentication budget, remembered in process until their
 * bucket has a token again. Checked before a credential is hashed or looked up, so a flood of made-up
 * credentials costs a map lookup per request. With a shared (Redis) limiter each instance learns
 * of an exhausted address at its next failure from it: at most one extra lookup per instance.
 */
import { LRUCache } from 'lru-cache';
import type { RateLimitDecision } from './rate-limit/token-bucket';

export interface AddressGuard {
  /** The refusal still in force for `ip` at `now`, or null. */
  blocked(ip: string, now: number): RateLimitDecision | null;
  /** Remember a refusal of the failure bucket: `ip` is blocked for its `retryAfter`. */
  block(ip: string, decision: RateLimitDecision, now: number): void;
  readonly size: number;
}

export function addressGuard(maxAddresses = 10_000): AddressGuard {
  const blocks = new LRUCache<string, { until: number; decision: RateLimitDecision }>({ max: maxAddresses });
  return {
    blocked(ip, now) {
      const block = blocks.get(ip);
      if (!block) return null;
      if (block.until <= now) {
        blocks.delete(ip);
        return null;
      }
      return { ...block.decision, retryAfter: Math.max(1, Math.ceil((block.until - now) / 1000)) };
    },
    block(ip, decision, now) {
      blocks.set(ip, { until: now + decision.retryAfter * 1000, decision });
    },
    get size() {
      return blocks.size;
    },
  };
}

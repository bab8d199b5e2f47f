/**
 * Rate limits per credential: a token bucket of `limit` requests that refills evenly over
 * `windowSeconds` (1,000 per 60 s lets a client burst 1,000 requests, then ~16.7 a second).
 */

/** What a limiter decided for one request; every field feeds a response header. */
export interface RateLimitDecision {
  allowed: boolean;
  /** The bucket's capacity (`X-RateLimit-Limit`). */
  limit: number;
  /** Whole requests left after this one (`X-RateLimit-Remaining`). */
  remaining: number;
  /** When the bucket is full again, in Unix seconds (`X-RateLimit-Reset`). */
  reset: number;
  /** Seconds until a request can succeed; 0 when allowed (`Retry-After` on a 429). */
  retryAfter: number;
}

/**
 * Takes one request from the bucket named `key`. `key` is already a hash of the credential (or of
 * the host principal, or the client address), never a credential. `now` is ms since the epoch.
 */
export interface RateLimiter {
  take(key: string, now: number): Promise<RateLimitDecision> | RateLimitDecision;
}

export interface TokenBucketOptions {
  /** Requests a client may make in a burst; the bucket's capacity. Default 1000. */
  limit?: number;
  /** Seconds an empty bucket takes to refill completely. Default 60. */
  windowSeconds?: number;
}

export interface BucketConfig {
  capacity: number;
  /** Tokens added per millisecond. */
  refillPerMs: number;
}

export interface BucketState {
  tokens: number;
  /** ms since the epoch at which `tokens` was computed. */
  updatedAt: number;
}

export function bucketConfig(options: TokenBucketOptions = {}): BucketConfig {
  const capacity = options.limit ?? 1000;
  const windowSeconds = options.windowSeconds ?? 60;
  if (!Number.isSafeInteger(capacity) || capacity <= 0)
    throw new TypeError('rate limit: `limit` must be a positive integer');
  if (!(windowSeconds > 0) || !Number.isFinite(windowSeconds))
    throw new TypeError('rate limit: `windowSeconds` must be a positive number');
  return { capacity, refillPerMs: capacity / (windowSeconds * 1000) };
}

/** Refill to `now`, then take one token if there is one. A clock that goes back refills nothing. */
export function takeFromBucket(
  state: BucketState | undefined,
  now: number,
  config: BucketConfig,
): { state: BucketState; allowed: boolean } {
  let tokens = config.capacity;
  let updatedAt = now;
  if (state) {
    const elapsed = Math.max(0, now - state.updatedAt);
    tokens = Math.min(config.capacity, state.tokens + elapsed * config.refillPerMs);
    updatedAt = Math.max(now, state.updatedAt);
  }
  const allowed = tokens >= 1;
  if (allowed) tokens -= 1;
  return { state: { tokens, updatedAt }, allowed };
}

/** The decision a bucket holding `tokens` after the take stands for. */
export function decisionFor(
  tokens: number,
  allowed: boolean,
  now: number,
  config: BucketConfig,
): RateLimitDecision {
  const msToFull = (config.capacity - tokens) / config.refillPerMs;
  return {
    allowed,
    limit: config.capacity,
    remaining: Math.max(0, Math.floor(tokens)),
    reset: Math.ceil((now + msToFull) / 1000),
    retryAfter: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / config.refillPerMs / 1000)),
  };
}

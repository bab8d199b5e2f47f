/**
 * Unwrapped data keys, kept in memory so hot reads make no key-service call. Bounded by count and
 * age; concurrent cold reads of one version share one unwrap. The cache key holds the wrapped
 * bytes and the context, so a key is only ever reused for the exact (wrapped key, binding) pair
 * it was unwrapped under — a recreated path or a moved row never hits a stale entry.
 */
import { LRUCache } from 'lru-cache';
import type { WrappedKey } from '../contracts/records';
import { recordDataKeyLookup } from '../telemetry';
import { type Clock, systemClock } from '../domain/clock';

export interface DataKeyCacheOptions {
  /** Most data keys held at once. Default 10,000. */
  maxEntries?: number;
  /** Longest a data key stays cached, in ms. Default 5 minutes. */
  maxAgeMs?: number;
}

/**
 * A copy in memory of its own. `Buffer.from` would take a slice of Node's shared 8 KiB allocation
 * pool, and a cached slice keeps its whole slab alive: under `npm run load` a full cache pinned
 * ~100 MiB.
 */
function ownCopy(dataKey: Uint8Array): Uint8Array {
  return new Uint8Array(dataKey);
}

export class DataKeyCache {
  readonly #cache: LRUCache<string, Uint8Array> | null;
  readonly #inFlight = new Map<string, Promise<Uint8Array>>();

  /** `clock` is the vault's: entries age by its time, so a test that moves the clock expires them. */
  constructor(options: DataKeyCacheOptions = {}, clock: Clock = systemClock) {
    const max = options.maxEntries ?? 10_000;
    this.#cache =
      max > 0
        ? new LRUCache<string, Uint8Array>({
            max,
            ttl: options.maxAgeMs ?? 5 * 60_000,
            perf: clock,
            ttlResolution: 0,
            // Overwrite a key's bytes once nothing can use it from the cache any more.
            dispose: (value) => value.fill(0),
          })
        : null;
  }

  /** The cache key of a wrapped key under a context (given as its canonical text). */
  static keyFor(wrapped: WrappedKey, contextText: string): string {
    const bytes = Buffer.from(
      wrapped.ciphertext.buffer,
      wrapped.ciphertext.byteOffset,
      wrapped.ciphertext.byteLength,
    );
    // latin1 maps each byte to one character: a cheap, exact encoding for a map key.
    return `${wrapped.keyId}\u0000${bytes.toString('latin1')}\u0000${contextText}`;
  }

  /** The cached key, or the result of `unwrap` — called once however many callers wait for it. */
  get(cacheKey: string, unwrap: () => Promise<Uint8Array>): Promise<Uint8Array> | Uint8Array {
    const hit = this.#cache?.get(cacheKey);
    if (hit) {
      recordDataKeyLookup('hit');
      return hit;
    }
    const pending = this.#inFlight.get(cacheKey);
    if (pending) {
      recordDataKeyLookup('shared');
      return pending;
    }
    recordDataKeyLookup('miss');
    const started = unwrap().then(
      (dataKey) => {
        this.#inFlight.delete(cacheKey);
        this.#cache?.set(cacheKey, ownCopy(dataKey));
        return dataKey;
      },
      (error: unknown) => {
        this.#inFlight.delete(cacheKey);
        throw error;
      },
    );
    this.#inFlight.set(cacheKey, started);
    return started;
  }

  /** Remember a key the vault just generated, so the first read after a write is warm. */
  set(cacheKey: string, dataKey: Uint8Array): void {
    this.#cache?.set(cacheKey, ownCopy(dataKey));
  }

  clear(): void {
    this.#cache?.clear();
  }
}

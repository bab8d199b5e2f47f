import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { canonicalContextText, secretContext, secretContextText } from '../src/crypto/context';
import { DataKeyCache } from '../src/crypto/dek-cache';
import { manualClock } from '../src/testing/clock';
import { openValue, sealValue } from '../src/crypto/envelope';
import { AgentVaultIntegrityError } from '../src/errors';

describe('envelope', () => {
  it('seals a value so that it opens only under the same key and binding', () => {
    const key = randomBytes(32);
    const context = secretContext('default', 'a/b', 1);
    const sealed = sealValue(key, 'héllo wörld', context);
    expect(openValue(key, sealed, context)).toBe('héllo wörld');
    expect(openValue(key, sealed, canonicalContextText(context))).toBe('héllo wörld');
    expect(Buffer.from(sealed).includes(Buffer.from('héllo'))).toBe(false);
    expect(() => openValue(randomBytes(32), sealed, context)).toThrow(AgentVaultIntegrityError);
    for (const other of [
      secretContext('other', 'a/b', 1),
      secretContext('default', 'a/c', 1),
      secretContext('default', 'a/b', 2),
    ]) {
      expect(() => openValue(key, sealed, other)).toThrow(AgentVaultIntegrityError);
    }
    expect(() => openValue(key, sealed.subarray(0, 10), context)).toThrow(AgentVaultIntegrityError);
    expect(Buffer.from(sealValue(key, 'same', context))).not.toEqual(
      Buffer.from(sealValue(key, 'same', context)),
    );
  });

  it('writes the secret binding exactly as the generic canonical form', () => {
    for (const [tenant, path, version] of [
      ['default', 'production/openai/api-key', 1],
      ['t-1.x_y', 'a.b/c_d/e-f', 123456],
    ] as const) {
      expect(secretContextText(tenant, path, version)).toBe(
        canonicalContextText({ version: String(version), path, tenant }),
      );
    }
  });
});

describe('data key cache', () => {
  const wrapped = (n: number) => ({ keyId: 'k', ciphertext: Buffer.from([n]) });

  it('shares one unwrap among concurrent cold reads and serves hits without unwrapping', async () => {
    const cache = new DataKeyCache();
    let calls = 0;
    const unwrap = async () => {
      calls++;
      await sleep(5);
      return randomBytes(32);
    };
    const key = DataKeyCache.keyFor(wrapped(1), 'ctx');
    const results = await Promise.all(Array.from({ length: 50 }, () => cache.get(key, unwrap)));
    expect(calls).toBe(1);
    expect(new Set(results.map((r) => Buffer.from(r).toString('hex'))).size).toBe(1);
    expect(cache.get(key, unwrap)).toBeInstanceOf(Uint8Array);
    expect(calls).toBe(1);
  });

  it('forgets keys past the count and age bounds (by the clock it is given), and retries after a failed unwrap', async () => {
    const clock = manualClock();
    const cache = new DataKeyCache({ maxEntries: 2, maxAgeMs: 40 }, clock);
    let calls = 0;
    const unwrap = async () => {
      calls++;
      return randomBytes(32);
    };
    for (const n of [1, 2, 3]) await cache.get(DataKeyCache.keyFor(wrapped(n), 'ctx'), unwrap);
    expect(calls).toBe(3);
    await cache.get(DataKeyCache.keyFor(wrapped(1), 'ctx'), unwrap);
    expect(calls).toBe(4); // evicted by count
    clock.advance(40);
    await cache.get(DataKeyCache.keyFor(wrapped(1), 'ctx'), unwrap);
    expect(calls).toBe(4); // 40 ms old: still fresh
    clock.advance(1);
    await cache.get(DataKeyCache.keyFor(wrapped(1), 'ctx'), unwrap);
    expect(calls).toBe(5); // expired by age
    const failing = () => Promise.reject(new Error('kms down'));
    await expect(cache.get(DataKeyCache.keyFor(wrapped(9), 'ctx'), failing)).rejects.toThrow('kms down');
    await cache.get(DataKeyCache.keyFor(wrapped(9), 'ctx'), unwrap);
    expect(calls).toBe(6);
  });

  it('holds each key in memory of its own, never a slice of the shared buffer pool', async () => {
    // A cached slice would keep its pool's whole 8 KiB slab alive for as long as the key is cached.
    const cache = new DataKeyCache();
    cache.set('written', Buffer.from(randomBytes(32)));
    await cache.get('read', async () => Buffer.from(randomBytes(32)));
    for (const key of ['written', 'read']) {
      const held = cache.get(key, () => Promise.reject(new Error('should be cached')));
      expect(held).toBeInstanceOf(Uint8Array);
      expect((held as Uint8Array).buffer.byteLength).toBe(32);
    }
  });

  it('never shares a key between bindings or wrapped forms', () => {
    expect(DataKeyCache.keyFor(wrapped(1), 'a')).not.toBe(DataKeyCache.keyFor(wrapped(1), 'b'));
    expect(DataKeyCache.keyFor(wrapped(1), 'a')).not.toBe(DataKeyCache.keyFor(wrapped(2), 'a'));
  });
});

/** Key wrappers for tests and benchmarks. */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EncryptionContext, KeyWrapper } from '../contracts/key-wrapper';
import type { WrappedKey } from '../contracts/records';
import { openValue, sealValue } from '../crypto/envelope';
import { AgentVaultIntegrityError } from '../errors';

/**
 * An in-memory keyring for tests: real AES-256-GCM wrapping bound to the context (it reuses the
 * vault's own envelope code), with one current key and any number of older ones.
 */
export function testKeyWrapper(
  options: { keys?: Record<string, Uint8Array>; currentKeyId?: string } = {},
): KeyWrapper {
  const keys = new Map(Object.entries(options.keys ?? { 'test-key-1': randomBytes(32) }));
  const current = options.currentKeyId ?? [...keys.keys()][0]!;
  const key = (id: string) => {
    const found = keys.get(id);
    if (!found) throw new AgentVaultIntegrityError(`test keyring has no key '${id}'`);
    return found;
  };
  return {
    name: 'test',
    currentKeyId: () => current,
    async wrap(dataKey: Uint8Array, context: EncryptionContext): Promise<WrappedKey> {
      return {
        keyId: current,
        ciphertext: sealValue(key(current), Buffer.from(dataKey).toString('base64'), {
          ...context,
          keyId: current,
        }),
      };
    },
    async unwrap(wrapped: WrappedKey, context: EncryptionContext): Promise<Uint8Array> {
      return Buffer.from(
        openValue(key(wrapped.keyId), wrapped.ciphertext, { ...context, keyId: wrapped.keyId }),
        'base64',
      );
    },
  };
}

export interface CountingKeyWrapper extends KeyWrapper {
  /** Calls that reached the inner wrapper, by method. */
  readonly calls: { wrap: number; unwrap: number; generateDataKey: number; rewrap: number };
  reset(): void;
}

/**
 * Wrap a key wrapper to count the calls that reach it and, optionally, to add latency to each —
 * how benchmarks show that hot reads make no key-service call.
 */
export function countingKeyWrapper(
  inner: KeyWrapper,
  options: { latencyMs?: number } = {},
): CountingKeyWrapper {
  const calls = { wrap: 0, unwrap: 0, generateDataKey: 0, rewrap: 0 };
  const delay = async () => {
    if (options.latencyMs) await sleep(options.latencyMs);
  };
  const wrapper: CountingKeyWrapper = {
    name: inner.name,
    calls,
    reset: () => {
      calls.wrap = calls.unwrap = calls.generateDataKey = calls.rewrap = 0;
    },
    currentKeyId: () => inner.currentKeyId(),
    wrap: async (dataKey, context) => {
      calls.wrap++;
      await delay();
      return inner.wrap(dataKey, context);
    },
    unwrap: async (wrapped, context) => {
      calls.unwrap++;
      await delay();
      return inner.unwrap(wrapped, context);
    },
  };
  if (inner.generateDataKey) {
    const generate = inner.generateDataKey.bind(inner);
    wrapper.generateDataKey = async (context) => {
      calls.generateDataKey++;
      await delay();
      return generate(context);
    };
  }
  if (inner.rewrap) {
    const rewrap = inner.rewrap.bind(inner);
    wrapper.rewrap = async (wrapped, context) => {
      calls.rewrap++;
      await delay();
      return rewrap(wrapped, context);
    };
  }
  return wrapper;
}

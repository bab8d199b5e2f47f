/**
 * Every KeyWrapper runs behind this guard: it checks what goes in and comes out (32-byte data keys,
 * a key id on every wrapped key, a context of strings) and turns foreign failures into
 * AgentVaultErrors that name the wrapper. Implementations inherit the checks without subclassing.
 */
import { randomBytes } from 'node:crypto';
import type { EncryptionContext, KeyWrapper } from '../contracts/key-wrapper';
import type { WrappedKey } from '../contracts/records';
import { AgentVaultError, AgentVaultIntegrityError } from '../errors';
import { recordKeyServiceCall } from '../telemetry';
import { DATA_KEY_BYTES } from './envelope';

function checkContext(context: EncryptionContext): void {
  for (const value of Object.values(context)) {
    if (typeof value !== 'string') throw new TypeError('Encryption context values must be strings');
  }
}

function checkWrapped(name: string, wrapped: WrappedKey): WrappedKey {
  if (
    typeof wrapped?.keyId !== 'string'
    || wrapped.keyId.length === 0
    || !(wrapped.ciphertext instanceof Uint8Array)
    || wrapped.ciphertext.length === 0
  ) {
    throw new AgentVaultError(`${name}: key wrapper returned a malformed wrapped key`);
  }
  return wrapped;
}

function checkDataKey(name: string, dataKey: Uint8Array): Uint8Array {
  if (!(dataKey instanceof Uint8Array) || dataKey.length !== DATA_KEY_BYTES) {
    throw new AgentVaultIntegrityError(`${name}: unwrapped data key has the wrong length`);
  }
  return dataKey;
}

function rethrow(name: string, error: unknown): never {
  if (error instanceof AgentVaultError) throw error;
  const message = error instanceof Error ? error.message : String(error);
  throw new AgentVaultError(`${name}: ${message}`, 'internal_error', 500, { cause: error });
}

export interface GuardedKeyWrapper {
  readonly name: string;
  currentKeyId(): string;
  wrap(dataKey: Uint8Array, context: EncryptionContext): Promise<WrappedKey>;
  unwrap(wrapped: WrappedKey, context: EncryptionContext): Promise<Uint8Array>;
  /** A fresh data key and its wrapped form: one call to the wrapper either way. */
  generateDataKey(context: EncryptionContext): Promise<{ dataKey: Uint8Array; wrapped: WrappedKey }>;
  /** Re-wrap under the current key, through the wrapper's own rewrap when it has one. */
  rewrap(wrapped: WrappedKey, context: EncryptionContext): Promise<WrappedKey>;
}

/** Time one call to the wrapper for the key-service latency metric. */
async function timed<T>(operation: string, wrapper: string, call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const result = await call();
    recordKeyServiceCall(operation, wrapper, (performance.now() - started) / 1000, 'ok');
    return result;
  } catch (error) {
    recordKeyServiceCall(operation, wrapper, (performance.now() - started) / 1000, 'error');
    throw error;
  }
}

export function guardKeyWrapper(wrapper: KeyWrapper): GuardedKeyWrapper {
  const name = wrapper.name;
  const guarded: GuardedKeyWrapper = {
    name,
    currentKeyId: () => wrapper.currentKeyId(),
    async wrap(dataKey, context) {
      checkDataKey(name, dataKey);
      checkContext(context);
      try {
        return checkWrapped(name, await timed('wrap', name, () => wrapper.wrap(dataKey, context)));
      } catch (error) {
        rethrow(name, error);
      }
    },
    async unwrap(wrapped, context) {
      checkContext(context);
      try {
        return checkDataKey(name, await timed('unwrap', name, () => wrapper.unwrap(wrapped, context)));
      } catch (error) {
        rethrow(name, error);
      }
    },
    async generateDataKey(context) {
      if (!wrapper.generateDataKey) {
        const dataKey = randomBytes(DATA_KEY_BYTES);
        return { dataKey, wrapped: await guarded.wrap(dataKey, context) };
      }
      checkContext(context);
      try {
        const generate = wrapper.generateDataKey.bind(wrapper);
        const generated = await timed('generate_data_key', name, () => generate(context));
        return {
          dataKey: checkDataKey(name, generated.dataKey),
          wrapped: checkWrapped(name, generated.wrapped),
        };
      } catch (error) {
        rethrow(name, error);
      }
    },
    async rewrap(wrapped, context) {
      if (!wrapper.rewrap) return guarded.wrap(await guarded.unwrap(wrapped, context), context);
      checkContext(context);
      try {
        const rewrap = wrapper.rewrap.bind(wrapper);
        return checkWrapped(name, await timed('rewrap', name, () => rewrap(wrapped, context)));
      } catch (error) {
        rethrow(name, error);
      }
    },
  };
  return guarded;
}

/**
 * Every adapter call goes through this guard: domain errors (AgentVaultError) pass through, and
 * anything else is wrapped with its cause and a prefix naming the adapter, so no driver error
 * type leaks out of the vault.
 */
import type { StorageAdapter } from '../contracts/storage';
import { AgentVaultError } from '../errors';

function wrapError(adapter: string, error: unknown): AgentVaultError {
  if (error instanceof AgentVaultError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AgentVaultError(`${adapter}: ${message}`, 'internal_error', 500, { cause: error });
}

/** Every method of the adapter (own or inherited), wrapped once into a plain object. */
export function guardStorage(storage: StorageAdapter): StorageAdapter {
  const guarded: Record<string, unknown> = { name: storage.name };
  const rethrow = (error: unknown) => {
    throw wrapError(storage.name, error);
  };
  for (
    let proto: object | null = storage;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const method = (storage as unknown as Record<string, unknown>)[key];
      if (key === 'constructor' || key in guarded || typeof method !== 'function') continue;
      guarded[key] = (...args: unknown[]) => {
        try {
          return (method.apply(storage, args) as Promise<unknown>).then(undefined, rethrow);
        } catch (error) {
          return Promise.reject(wrapError(storage.name, error));
        }
      };
    }
  }
  return guarded as unknown as StorageAdapter;
}

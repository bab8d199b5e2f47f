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

export function guardStorage(storage: StorageAdapter): StorageAdapter {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(storage, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      let guarded = wrapped.get(property);
      if (!guarded) {
        guarded = async (...args: unknown[]) => {
          try {
            return await value.apply(target, args);
          } catch (error) {
            throw wrapError(target.name, error);
          }
        };
        wrapped.set(property, guarded);
      }
      return guarded;
    },
  });
}

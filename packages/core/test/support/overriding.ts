import type { StorageAdapter } from '../../src/contracts/storage';

/** `storage` with some methods replaced (to fail them, or to watch their calls); the rest bound to it. */
export function overriding(
  storage: StorageAdapter,
  overrides: Partial<Record<keyof StorageAdapter, (...args: never[]) => Promise<unknown>>>,
): StorageAdapter {
  return new Proxy(storage, {
    get: (target, property) => {
      if (property in overrides) return overrides[property as keyof StorageAdapter];
      const value = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

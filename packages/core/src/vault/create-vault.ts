import { accessOperations } from './access';
import { auditOperations } from './audit';
import { edgeOperations } from './edge';
import { keyOperations } from './keys';
import { lifecycleOperations } from './lifecycle';
import { createRuntime, type VaultOptions } from './runtime';
import { secretOperations } from './secrets';

export type Vault = ReturnType<typeof secretOperations>
  & ReturnType<typeof auditOperations>
  & ReturnType<typeof keyOperations>
  & ReturnType<typeof accessOperations>
  & ReturnType<typeof lifecycleOperations>
  & ReturnType<typeof edgeOperations> & {
    /** Forget cached data keys and token records (e.g. after an incident). */
    clearCaches(): void;
    /** Close the storage adapter's connections. */
    close(): Promise<void>;
  };

/**
 * Create a vault on a storage adapter and a key wrapper. The vault holds no state of its own
 * beyond caches: any number of instances may share one storage backend.
 */
export function createVault(options: VaultOptions): Vault {
  const rt = createRuntime(options);
  return {
    ...secretOperations(rt),
    ...auditOperations(rt),
    ...keyOperations(rt),
    ...accessOperations(rt),
    ...lifecycleOperations(rt),
    ...edgeOperations(rt),
    clearCaches() {
      rt.dataKeys.clear();
      rt.tokens.clear();
    },
    async close() {
      await rt.storage.close?.();
    },
  };
}

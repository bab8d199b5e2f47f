import { accessOperations } from './access';
import { auditOperations } from './audit';
import { keyOperations } from './keys';
import { lifecycleOperations } from './lifecycle';
import { createRuntime, type VaultOptions } from './runtime';
import { secretOperations } from './secrets';
import type { Vault } from './vault';

export type { Vault } from './vault';

/**
 * Create a vault on a storage adapter and a key wrapper. The vault holds no state of its own
 * beyond caches: any number of instances may share one storage backend.
 */
export function createVault(options: VaultOptions): Vault {
  const rt = createRuntime(options);
  const vault: Vault = {
    ...secretOperations(rt),
    ...auditOperations(rt),
    ...keyOperations(rt),
    ...accessOperations(rt),
    ...lifecycleOperations(rt),
    clearCaches() {
      rt.dataKeys.clear();
      rt.tokens.clear();
    },
    async close() {
      await rt.sealer.close();
      await rt.storage.close?.();
    },
  };
  return vault;
}

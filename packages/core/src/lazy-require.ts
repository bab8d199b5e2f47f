/** Synchronous `require` from ESM: core's own dependencies at first use, and the adapters' drivers. */
import { createRequire } from 'node:module';
import { AgentVaultConfigurationError } from './errors';

/** Resolves from this package's own location (tsup's `shims` give the CJS build `import.meta.url`). */
const requireHere = createRequire(import.meta.url);

/**
 * A CommonJS dependency of core loaded at its first use instead of at import: each one costs a cold
 * `import('@agentvault/core')` milliseconds (`npm run bench -- import`), and many processes never
 * call the code that needs it.
 */
export function lazyRequire<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireHere(name) as T);
}

/**
 * `require(name)` through `from`, an adapter's own `createRequire(import.meta.url)` (a driver is the
 * adapter's peer, so it resolves from the adapter's package), or, when the package is not installed,
 * an AgentVaultConfigurationError naming it: at construction, not at the first query.
 */
export function requireDriver<T>(from: NodeJS.Require, name: string, neededFor: string): T {
  try {
    return from(name) as T;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const missing = code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes(`'${name}'`);
    if (!missing) throw error;
    throw new AgentVaultConfigurationError(
      `${neededFor} needs the \`${name}\` package, which is not installed: run \`npm install ${name}\``,
      { cause: error },
    );
  }
}

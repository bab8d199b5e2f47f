/**
 * A CommonJS dependency loaded at its first use instead of at import. Each one costs a cold
 * `import('@agentvault/core')` milliseconds (`npm run bench -- import`), and many processes never
 * call the code that needs it.
 */
import { createRequire } from 'node:module';

/** Resolves from this package's own location (tsup's `shims` give the CJS build `import.meta.url`). */
const requireHere = createRequire(import.meta.url);

export function lazyRequire<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireHere(name) as T);
}

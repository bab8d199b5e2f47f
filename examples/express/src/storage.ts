/**
 * Storage from `AGENTVAULT_STORAGE`: `memory` (default), `postgres://…` or `redis://…`. The network
 * adapters are imported only when asked for, so the example runs without them installed.
 */
import { memoryAdapter } from '@agentvault/adapter-memory';
import type { StorageAdapter } from '@agentvault/core';

/** Loads a module by name; tests pass their own. */
export type ModuleLoader = (name: string) => Promise<Record<string, unknown>>;

const load: ModuleLoader = (name) => import(name) as Promise<Record<string, unknown>>;

async function adapterFrom(
  pkg: string,
  factory: string,
  args: unknown[],
  loader: ModuleLoader,
): Promise<StorageAdapter & { migrate?: () => Promise<unknown> }> {
  let module: Record<string, unknown>;
  try {
    module = await loader(pkg);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(`AGENTVAULT_STORAGE needs ${pkg}, which is not installed: npm install ${pkg}`, {
        cause: error,
      });
    }
    throw error;
  }
  const create = module[factory];
  if (typeof create !== 'function') throw new Error(`${pkg} does not export ${factory}()`);
  return (await create(...args)) as StorageAdapter;
}

/** A description of the storage that is safe to print (no password). */
export function describeStorage(spec: string): string {
  if (spec === 'memory') return 'memory (everything is lost when the process exits)';
  try {
    const url = new URL(spec);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'an unreadable AGENTVAULT_STORAGE';
  }
}

/**
 * The storage `AGENTVAULT_STORAGE` names. PostgreSQL tables go in `AGENTVAULT_PG_SCHEMA` (default
 * `agentvault`) and are migrated at start (idempotent, safe when several servers start at once);
 * Redis keys go under `AGENTVAULT_REDIS_PREFIX` (default `agentvault:`).
 */
export async function storageFrom(
  spec: string | undefined,
  loader: ModuleLoader = load,
  env: Record<string, string | undefined> = {},
): Promise<StorageAdapter> {
  const value = spec?.trim() || 'memory';
  if (value === 'memory') return memoryAdapter();
  if (/^postgres(ql)?:\/\//.test(value)) {
    const schema = env.AGENTVAULT_PG_SCHEMA || undefined;
    const storage = await adapterFrom(
      '@agentvault/adapter-postgres',
      'postgresAdapter',
      [{ connectionString: value }, { ...(schema ? { schema } : {}) }],
      loader,
    );
    await storage.migrate?.();
    return storage;
  }
  if (/^rediss?:\/\//.test(value)) {
    const prefix = env.AGENTVAULT_REDIS_PREFIX || undefined;
    return adapterFrom('@agentvault/adapter-redis', 'redisAdapter', [{ url: value }, { ...(prefix ? { prefix } : {}) }], loader);
  }
  throw new Error('AGENTVAULT_STORAGE must be memory, postgres://… or redis://…');
}

/**
 * Storage and key wrapping from the configuration. Optional backends (PostgreSQL, Redis, SQLite,
 * AWS and Google Cloud KMS) are imported only when configured, so the server runs without them
 * installed and names the package to install when one is missing.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { memoryAdapter } from '@agentvault/adapter-memory';
import type { KeyWrapper, StorageAdapter } from '@agentvault/core';
import { localKeyring } from '@agentvault/kms-local';
import { ConfigError, type ServerConfig } from './config';

/** Loads a module by name; tests pass their own. */
export type ModuleLoader = (name: string) => Promise<Record<string, unknown>>;

export const importModule: ModuleLoader = (name) => import(name) as Promise<Record<string, unknown>>;

/** The data directory's key-encryption key file, created on first start. */
export const KEK_FILE = 'local-kek';
export const SQLITE_FILE = 'vault.db';

async function factoryFrom(pkg: string, name: string, loader: ModuleLoader): Promise<(...args: unknown[]) => unknown> {
  let module: Record<string, unknown>;
  try {
    module = await loader(pkg);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
      throw new ConfigError(`this configuration needs ${pkg}, which is not installed: npm install ${pkg}`);
    throw error;
  }
  const factory = module[name];
  if (typeof factory !== 'function') throw new ConfigError(`${pkg} does not export ${name}()`);
  return factory as (...args: unknown[]) => unknown;
}

/** A data directory only this user can read. */
export async function ensureDataDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

export async function openStorage(config: ServerConfig, loader: ModuleLoader = importModule): Promise<StorageAdapter> {
  const { storage } = config;
  switch (storage.kind) {
    case 'memory':
      return memoryAdapter();
    case 'sqlite': {
      await ensureDataDir(config.dataDir);
      const create = await factoryFrom('@agentvault/adapter-sqlite', 'sqliteAdapter', loader);
      const file = join(config.dataDir, SQLITE_FILE);
      const adapter = (await create({ path: file })) as StorageAdapter & { migrate?: () => Promise<unknown> };
      await adapter.migrate?.();
      await chmod(file, 0o600);
      return adapter;
    }
    case 'postgres': {
      const create = await factoryFrom('@agentvault/adapter-postgres', 'postgresAdapter', loader);
      const adapter = (await create(
        { connectionString: storage.url },
        storage.schema ? { schema: storage.schema } : {},
      )) as StorageAdapter & { migrate?: () => Promise<unknown> };
      // Idempotent, and safe when several servers start at once.
      await adapter.migrate?.();
      return adapter;
    }
    case 'redis': {
      const create = await factoryFrom('@agentvault/adapter-redis', 'redisAdapter', loader);
      return (await create({ url: storage.url }, storage.prefix ? { prefix: storage.prefix } : {})) as StorageAdapter;
    }
  }
}

/**
 * The local key-encryption key: from `AGENTVAULT_LOCAL_KEK`, else the data directory's key file,
 * created (mode 0600) on the first start. Memory storage gets a random key for the process.
 */
async function localKek(config: ServerConfig, warn: (message: string) => void): Promise<string | null> {
  if (config.keys.kind !== 'local') return null;
  if (config.keys.kek) return config.keys.kek;
  if (config.storage.kind === 'memory') return null;
  await ensureDataDir(config.dataDir);
  const file = join(config.dataDir, KEK_FILE);
  try {
    const text = (await readFile(file, 'utf8')).trim();
    const mode = (await stat(file)).mode & 0o777;
    if (mode & 0o077) warn(`${file} is readable by other users (mode ${mode.toString(8)}); chmod 600 it`);
    return text;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
  }
  const kek = randomBytes(32).toString('base64');
  // 'wx': never overwrite a key another process created at the same moment.
  try {
    await writeFile(file, `${kek}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as { code?: string }).code === 'EEXIST') return (await readFile(file, 'utf8')).trim();
    throw error;
  }
  warn(
    `generated a local key-encryption key at ${file} (mode 0600). Everything stored is encrypted under it: `
    + 'back it up with the data, and for production move key wrapping to a KMS (AGENTVAULT_KMS_KEY_ARN or AGENTVAULT_KMS_KEY).',
  );
  return kek;
}

export async function openKeys(
  config: ServerConfig,
  warn: (message: string) => void,
  loader: ModuleLoader = importModule,
): Promise<KeyWrapper> {
  const { keys } = config;
  if (keys.kind === 'aws') {
    const create = await factoryFrom('@agentvault/kms-aws', 'awsKmsKeyWrapper', loader);
    return create({ keyId: keys.keyArn, clientConfig: keys.region ? { region: keys.region } : {} }) as KeyWrapper;
  }
  if (keys.kind === 'gcp') {
    const create = await factoryFrom('@agentvault/kms-gcp', 'gcpKmsKeyWrapper', loader);
    return create({ keyName: keys.keyName, clientOptions: {} }) as KeyWrapper;
  }
  const kek = await localKek(config, warn);
  try {
    return kek
      ? localKeyring({ env: { AGENTVAULT_LOCAL_KEK: kek } })
      : localKeyring({ env: {}, generateDevKey: true, warn });
  } catch (error) {
    throw new ConfigError(`AGENTVAULT_LOCAL_KEK ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * `ioredis` is a peer dependency: an app whose installer skipped it gets a configuration error
 * naming the package when it builds the adapter from a URL — not a module-resolution error.
 */
import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AgentVaultConfigurationError } from '@agentvault/core/errors';
import { describe, expect, it, onTestFinished } from 'vitest';
import * as adapter from '../src/index';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const CORE = fileURLToPath(new URL('../../core', import.meta.url));

/** This package's source installed in an app of its own, next to core and without `ioredis`. */
async function appWithoutIoredis(): Promise<typeof adapter> {
  const app = await mkdtemp(join(tmpdir(), 'agentvault-no-ioredis-'));
  onTestFinished(() => rm(app, { recursive: true, force: true }));
  const installed = join(app, 'node_modules', '@agentvault', 'adapter-redis');
  await mkdir(installed, { recursive: true });
  await cp(join(PACKAGE, 'src'), join(installed, 'src'), { recursive: true });
  await cp(join(PACKAGE, 'package.json'), join(installed, 'package.json'));
  await symlink(CORE, join(app, 'node_modules', '@agentvault', 'core'), 'dir');
  return (await import(pathToFileURL(join(installed, 'src', 'index.ts')).href)) as typeof adapter;
}

describe('the ioredis driver', () => {
  it('is loaded when the adapter is built from a URL', async () => {
    const storage = adapter.redisAdapter({ url: 'redis://127.0.0.1:1', clientOptions: { lazyConnect: true } });
    await storage.close();
  });

  it('missing: building the adapter from a URL is a configuration error naming `ioredis`', async () => {
    const { redisAdapter: isolated } = await appWithoutIoredis();
    let thrown: unknown;
    try {
      isolated({ url: 'redis://127.0.0.1:1' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AgentVaultConfigurationError);
    expect((thrown as Error).message).toBe(
      'redisAdapter({ url }) needs the `ioredis` package, which is not installed: run `npm install ioredis`',
    );
    expect(((thrown as Error).cause as { code?: string }).code).toBe('MODULE_NOT_FOUND');
  });

  it('missing: a client of the app’s own still works without it', async () => {
    const { redisAdapter: isolated } = await appWithoutIoredis();
    const client = {
      call: () => Promise.resolve(null),
      callBuffer: () => Promise.resolve(null),
      quit: () => Promise.resolve('OK'),
      options: { maxRetriesPerRequest: 0 },
    };
    expect(() => isolated({ client })).not.toThrow();
  });
});

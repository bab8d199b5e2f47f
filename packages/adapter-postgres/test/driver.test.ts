/**
 * `pg` is a peer dependency: an app whose installer skipped it gets a configuration error naming
 * the package when it builds the adapter from a connection string — not a module-resolution error
 * at its first query.
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

/** This package's source installed in an app of its own, next to core and without `pg`. */
async function appWithoutPg(): Promise<typeof adapter> {
  const app = await mkdtemp(join(tmpdir(), 'agentvault-no-pg-'));
  onTestFinished(() => rm(app, { recursive: true, force: true }));
  const installed = join(app, 'node_modules', '@agentvault', 'adapter-postgres');
  await mkdir(installed, { recursive: true });
  await cp(join(PACKAGE, 'src'), join(installed, 'src'), { recursive: true });
  await cp(join(PACKAGE, 'package.json'), join(installed, 'package.json'));
  await symlink(CORE, join(app, 'node_modules', '@agentvault', 'core'), 'dir');
  return (await import(pathToFileURL(join(installed, 'src', 'index.ts')).href)) as typeof adapter;
}

describe('the pg driver', () => {
  it('is loaded when the adapter is built from a connection string', async () => {
    const storage = adapter.postgresAdapter({ connectionString: 'postgres://nobody@127.0.0.1:1/none', connectionTimeoutMs: 500 });
    await storage.close();
  });

  it('missing: building the adapter from a connection string is a configuration error naming `pg`', async () => {
    const { postgresAdapter: isolated } = await appWithoutPg();
    let thrown: unknown;
    try {
      isolated({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AgentVaultConfigurationError);
    expect((thrown as Error).message).toBe(
      'postgresAdapter({ connectionString }) needs the `pg` package, which is not installed: run `npm install pg`',
    );
    expect(((thrown as Error).cause as { code?: string }).code).toBe('MODULE_NOT_FOUND');
  });

  it('missing: a pool of the app’s own still works without it', async () => {
    const { postgresAdapter: isolated } = await appWithoutPg();
    const pool = {
      query: () => Promise.resolve({ rows: [], rowCount: 0 }),
      connect: () => Promise.reject(new Error('not needed')),
    };
    expect(() => isolated({ pool })).not.toThrow();
  });
});

/**
 * The AgentVault HTTP API inside a Koa app: the vault answers under `/v1`, the app's own routes
 * answer the rest. Memory storage and keys from AGENTVAULT_LOCAL_KEK (or a dev key), as a sketch
 * of mounting the vault in a service you already run; `examples/express` is the configurable one.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { createVault, type Vault } from '@agentvault/core';
import { createKoaMiddleware } from '@agentvault/core/koa';
import { localKeyring } from '@agentvault/kms-local';
import Koa from 'koa';

export interface KoaServer {
  url: string;
  vault: Vault;
  /** The admin agent key created at start (print it once, store it in your secret manager). */
  adminKey: string;
  close(): Promise<void>;
}

export async function startKoaServer(
  options: {
    port?: number;
    host?: string;
    env?: Record<string, string | undefined>;
    log?: (line: string) => void;
  } = {},
): Promise<KoaServer> {
  const log = options.log ?? ((line: string) => console.log(line));
  const vault = createVault({
    storage: memoryAdapter(),
    keys: localKeyring({ env: options.env ?? process.env, generateDevKey: true, warn: log }),
  });
  const admin = await vault.createAgentKey({ roles: ['admin'], description: 'koa example admin' });

  const app = new Koa();
  // Mount the vault before any body parser: it reads and limits request bodies itself.
  app.use(createKoaMiddleware(vault, { prefix: '/v1' }));
  app.use((ctx) => {
    ctx.body = { service: 'your app', path: ctx.path };
  });
  const server = createServer(app.callback());
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 8788, options.host ?? '127.0.0.1', resolve),
  );
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}/v1`;
  return {
    url,
    vault,
    adminKey: admin.value,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * The AgentVault server `npm start` runs: the HTTP API on Express, mounted at `/v1`.
 *
 *   HOST / PORT                listen address (default 127.0.0.1:8787)
 *   AGENTVAULT_STORAGE         memory (default) | postgres://… | redis://…
 *   AGENTVAULT_PG_SCHEMA       tables' schema for postgres:// (default agentvault; migrated at start)
 *   AGENTVAULT_REDIS_PREFIX    key prefix for redis:// (default agentvault:)
 *   AGENTVAULT_LOCAL_KEK       base64 256-bit key-encryption key(s); without it a random dev key (with a warning)
 *   AGENTVAULT_ROOT_KEY        an admin agent key (ass_live_…); without it one is created and printed once
 *   AGENTVAULT_APPROVER_KEY    an approver agent key; without it one is created and printed once
 *   AGENTVAULT_RATE_LIMIT      requests per minute per credential (default 1000), or off
 *   AGENTVAULT_PUBLIC_URL      the base URL people open (approve_url, the console's origin); default http://HOST:PORT
 *
 * The approvals console is served at /console (sign in with the approver or admin key).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AGENT_KEY_FORMAT, createVault, type Vault } from '@agentvault/core';
import { createExpressConsole } from '@agentvault/console/express';
import { createExpressMiddleware } from '@agentvault/core/express';
import { memoryRateLimiter } from '@agentvault/core/http';
import { localKeyring } from '@agentvault/kms-local';
import express from 'express';
import { describeStorage, type ModuleLoader, storageFrom } from './storage';

export interface ServerOptions {
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
  /** How the Postgres and Redis adapters are imported (tests pass their own). */
  loader?: ModuleLoader;
}

export interface RunningServer {
  /** The API root, e.g. `http://127.0.0.1:8787/v1`. */
  url: string;
  vault: Vault;
  close(): Promise<void>;
}

function portFrom(text: string | undefined): number {
  const port = Number(text ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error('PORT must be 0–65535');
  return port;
}

/** `AGENTVAULT_RATE_LIMIT`: requests per minute per credential (default 1000), or `off`. */
function rateLimiterFrom(text: string | undefined) {
  if (text === 'off') return false;
  const limit = Number(text ?? 1000);
  if (!Number.isInteger(limit) || limit < 1) throw new Error('AGENTVAULT_RATE_LIMIT must be a positive integer or off');
  return memoryRateLimiter({ limit, windowSeconds: 60 });
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.log(line));
  const host = env.HOST || '127.0.0.1';
  const port = portFrom(env.PORT);

  const keysFromEnv = [
    { name: 'AGENTVAULT_ROOT_KEY', value: env.AGENTVAULT_ROOT_KEY, roles: ['admin'] as const, label: 'Root agent key (admin)' },
    { name: 'AGENTVAULT_APPROVER_KEY', value: env.AGENTVAULT_APPROVER_KEY, roles: ['approver'] as const, label: 'Approver agent key' },
  ];
  for (const { name, value } of keysFromEnv) {
    if (value && !AGENT_KEY_FORMAT.test(value)) {
      throw new Error(`${name} must look like ass_live_ followed by 32–200 characters of [A-Za-z0-9_-]`);
    }
  }
  const storage = await storageFrom(env.AGENTVAULT_STORAGE, options.loader, env);
  const vault = createVault({ storage, keys: localKeyring({ env, generateDevKey: true, warn: log }) });

  // A key given in the environment is imported (only its hash is stored; importing it again on
  // the next start finds the same key). Otherwise one is minted and shown once — unless storage
  // kept the one an earlier start minted: a restart must not pile up live admin keys.
  const existing = await vault.listAgentKeys();
  for (const { name, value, roles, label } of keysFromEnv) {
    const description = `${label} (created at start)`;
    const earlier = value ? undefined : existing.find((k) => k.revokedAt === null && k.description === description);
    if (earlier) {
      log(`${label}: ${earlier.id}, created at an earlier start and shown then; set ${name} or revoke it to get a new one`);
      continue;
    }
    const key = await vault.createAgentKey({ value, roles: [...roles], description: value ? name : description });
    if (!value) log(`${label}, shown once: ${key.value}`);
  }

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  const rateLimiter = rateLimiterFrom(env.AGENTVAULT_RATE_LIMIT);
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}/v1`;
  // Mounted once the port is known: approve_url is built from the public URL, never a Host header.
  const publicUrl = env.AGENTVAULT_PUBLIC_URL?.trim() || `http://${shownHost}:${address.port}`;
  app.use('/v1', createExpressMiddleware(vault, { rateLimiter, publicUrl }));
  app.use('/console', createExpressConsole(vault, { publicUrl }));
  log(`Approvals console: ${publicUrl.replace(/\/+$/, '')}/console (sign in with the approver or admin key)`);
  log(
    `AgentVault listening on ${url} (storage: ${describeStorage(env.AGENTVAULT_STORAGE?.trim() || 'memory')})`,
  );
  return {
    url,
    vault,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await vault.close();
    },
  };
}

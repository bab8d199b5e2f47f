/**
 * A vault with the API at `/v1` and the console at `/console` on one real socket, on each binding:
 * Express, Koa, and a `node:http` server feeding the fetch handlers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { createVault, type Vault, type VaultOptions } from '@agentvault/core';
import { createExpressMiddleware } from '@agentvault/core/express';
import { createVaultHandler } from '@agentvault/core/http';
import { createKoaMiddleware } from '@agentvault/core/koa';
import { testKeyWrapper } from '@agentvault/core/testing';
import express from 'express';
import Koa from 'koa';
import { createExpressConsole } from '../../src/express';
import { createFetchConsole } from '../../src/fetch';
import type { ConsoleOptions } from '../../src/handler';
import { createKoaConsole } from '../../src/koa';

export type Binding = 'express' | 'koa' | 'fetch';

export interface ConsoleWorld {
  vault: Vault;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  api: string;
  console: string;
  /** An admin agent key: what an agent requests tokens with. */
  agentKey: string;
  /** An approver key for the human. */
  approverKey: string;
  /** A key with both roles (for the self-approval refusal). */
  bothKey: string;
  /** Every credential created, to scan pages for. */
  credentials: string[];
  close(): Promise<void>;
}

function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return headers;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

function fetchListener(vault: Vault, options: ConsoleOptions<never>, publicUrl: string): Listener {
  const api = createVaultHandler(vault, { basePath: '/v1', publicUrl });
  const consoleHandler = createFetchConsole(vault, { basePath: '/console', ...(options as ConsoleOptions<Request>) });
  return async (req, res) => {
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers: toHeaders(req),
      ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' } : {}),
    } as RequestInit);
    const handler = req.url?.startsWith('/console') ? consoleHandler : api;
    const response = await handler(request, { ip: req.socket.remoteAddress ?? null });
    const headers: Record<string, string | string[]> = {};
    response.headers.forEach((value, name) => {
      if (name !== 'set-cookie') headers[name] = value;
    });
    const cookies = response.headers.getSetCookie();
    if (cookies.length > 0) headers['set-cookie'] = cookies;
    res.writeHead(response.status, headers);
    res.end(Buffer.from(await response.arrayBuffer()));
  };
}

function listenerFor(binding: Binding, vault: Vault, options: ConsoleOptions<never>, publicUrl: string): Listener {
  if (binding === 'express') {
    const app = express();
    app.use('/v1', createExpressMiddleware(vault, { publicUrl }));
    app.use('/console', createExpressConsole(vault, options as ConsoleOptions<unknown>));
    return app;
  }
  if (binding === 'koa') {
    const app = new Koa();
    app.use(createKoaMiddleware(vault, { prefix: '/v1', publicUrl }));
    app.use(createKoaConsole(vault, { prefix: '/console', ...(options as ConsoleOptions<unknown>) }));
    return app.callback();
  }
  return fetchListener(vault, options, publicUrl);
}

export async function startConsoleWorld(
  binding: Binding = 'express',
  options: ConsoleOptions<never> = {},
  vaultOptions: Partial<VaultOptions> = {},
): Promise<ConsoleWorld> {
  const logger = { warn() {}, error() {} };
  const vault = createVault({ storage: memoryAdapter(), keys: testKeyWrapper(), logger, ...vaultOptions });
  const agent = await vault.createAgentKey({ roles: ['admin'], description: 'deploy-bot (CI agent)' });
  const approver = await vault.createAgentKey({ roles: ['approver'], description: 'Ada, on-call approver' });
  const both = await vault.createAgentKey({ roles: ['admin', 'approver'], description: 'ops lead' });

  let listener: Listener | null = null;
  const server = createServer((req, res) => listener!(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  listener = listenerFor(binding, vault, options, origin);
  return {
    vault,
    origin,
    api: `${origin}/v1`,
    console: `${origin}/console`,
    agentKey: agent.value,
    approverKey: approver.value,
    bothKey: both.value,
    credentials: [agent.value, approver.value, both.value],
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await vault.close();
    },
  };
}

/**
 * The three ways to serve the API, each on a real socket at 127.0.0.1 and mounted at `/v1`:
 * the Express binding, the Koa binding, the `node:http` binding, and a plain `node:http` server
 * that turns each request into a fetch `Request` for the fetch handler (as a Node fetch adapter would).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import express from 'express';
import express4 from 'express4';
import Koa from 'koa';
import Koa2 from 'koa2';
import { createExpressMiddleware } from '../../../src/http/express';
import { createVaultHandler } from '../../../src/http/fetch';
import type { VaultHandlerOptions } from '../../../src/http/handler';
import { createKoaMiddleware } from '../../../src/http/koa';
import { createNodeHandler } from '../../../src/http/node-handler';
import type { Vault } from '../../../src/vault/create-vault';

export interface RunningServer {
  /** The API root, e.g. `http://127.0.0.1:41234/v1`. */
  url: string;
  close(): Promise<void>;
}

/** Starts the API for `vault` with handler options (whose `authenticate` gets the binding's own request). */
export type StartServer = (vault: Vault, options?: VaultHandlerOptions<never>) => Promise<RunningServer>;

export async function serve(server: Server, mount = '/v1'): Promise<RunningServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${mount}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The API under `/v1` of an Express app of the given major, next to a route of the app's own. */
export function startExpress(major: 4 | 5 = 5): StartServer {
  return (vault, options = {}) => {
    const middleware = createExpressMiddleware(vault, options as VaultHandlerOptions<unknown>);
    if (major === 4) {
      const app = express4();
      app.get('/health', (_req, res) => {
        res.send('ok');
      });
      app.use('/v1', middleware);
      return serve(createServer(app));
    }
    const app = express();
    app.get('/health', (_req, res) => {
      res.send('ok');
    });
    app.use('/v1', middleware);
    return serve(createServer(app));
  };
}

/** The API under `/v1` of a Koa app of the given major, in front of the app's own answer. */
export function startKoa(major: 2 | 3 = 3): StartServer {
  return (vault, options = {}) => {
    const middleware = createKoaMiddleware(vault, { prefix: '/v1', ...(options as VaultHandlerOptions<unknown>) });
    const app = major === 2 ? new Koa2() : new Koa();
    if (app instanceof Koa2) {
      app.use(middleware);
      app.use((ctx) => {
        ctx.body = 'not the vault';
      });
    } else {
      app.use(middleware);
      app.use((ctx) => {
        ctx.body = 'not the vault';
      });
    }
    return serve(createServer(app.callback()));
  };
}

export const startNode: StartServer = (vault, options = {}) =>
  serve(createServer(createNodeHandler(vault, { basePath: '/v1', ...(options as VaultHandlerOptions<unknown>) })));

function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return headers;
}

export const startFetch: StartServer = (vault, options = {}) => {
  const handler = createVaultHandler(vault, {
    basePath: '/v1',
    ...(options as VaultHandlerOptions<unknown>),
  });
  const server = createServer(async (req, res) => {
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers: toHeaders(req),
      ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' } : {}),
    } as RequestInit);
    const response = await handler(request, { ip: req.socket.remoteAddress ?? null });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  return serve(server);
};

export const bindings: Array<[string, StartServer]> = [
  ['express 5', startExpress(5)],
  ['express 4', startExpress(4)],
  ['koa 3', startKoa(3)],
  ['koa 2', startKoa(2)],
  ['fetch', startFetch],
  ['node', startNode],
];

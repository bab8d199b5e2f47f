/** What is particular to each binding: mounting, body parsers in front, passing on, client addresses. */
import { createServer, type RequestListener } from 'node:http';
import { memoryAdapter } from '@agentvault/adapter-memory';
import express from 'express';
import express4 from 'express4';
import Koa from 'koa';
import Koa2 from 'koa2';
import { describe, expect, it, onTestFinished } from 'vitest';
import { vaultOpenApiDocument } from '../../src/http';
import { canonicalIp, clientIp } from '../../src/http/client-ip';
import { createExpressMiddleware } from '../../src/http/express';
import { createVaultHandler } from '../../src/http/fetch';
import { createKoaMiddleware } from '../../src/http/koa';
import { createNodeHandler } from '../../src/http/node-handler';
import { routes } from '../../src/http/routes';
import { testKeyWrapper } from '../../src/testing/key-wrappers';
import { createVault, type Vault } from '../../src/vault/create-vault';
import { serve } from './support/servers';
import { client, enc } from './support/world';

async function fixture() {
  const vault = createVault({ storage: memoryAdapter(), keys: testKeyWrapper() });
  const key = (await vault.createAgentKey()).value;
  return { vault, key };
}

async function started(server: ReturnType<typeof createServer>, mount = '/v1') {
  const running = await serve(server, mount);
  onTestFinished(() => running.close());
  return running;
}

// Express 4's types and Express 5's differ: the binding must fit both as written, without casts.
const expressApps: Record<string, (vault: Vault) => RequestListener> = {
  'Express 5': (vault) => {
    const app = express();
    app.use(express.json());
    app.get('/health', (_req, res) => {
      res.json({ ok: true });
    });
    app.use('/api/vault', createExpressMiddleware(vault));
    return app;
  },
  'Express 4': (vault) => {
    const app = express4();
    app.use(express4.json());
    app.get('/health', (_req, res) => {
      res.json({ ok: true });
    });
    app.use('/api/vault', createExpressMiddleware(vault));
    return app;
  },
};

describe.each(Object.entries(expressApps))('%s binding', (_major, expressApp) => {
  it('works behind express.json() and next to the app’s own routes', async () => {
    const { vault, key } = await fixture();
    const app = expressApp(vault);
    const server = await started(createServer(app), '/api/vault');
    const api = client(server.url, key);
    const created = await api.request('POST', '/secrets', { json: { path: 'a/b', value: 'v' } });
    expect(created.status).toBe(201);
    expect((await api.request('GET', `/secrets/${enc('a/b')}`)).body.value).toBe('v');
    // express.json() fails first; the binding's error handler still answers in our shape.
    const malformed = await api.request('POST', '/secrets', {
      raw: '{oops',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({
      error: { code: 'invalid_request', message: 'Request body is not valid JSON' },
    });
    expect(malformed.headers.get('x-ratelimit-limit')).toBe('1000');
    const big = await api.request('POST', '/secrets', { json: { path: 'a/c', value: 'x'.repeat(200_000) } });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
    expect(await (await fetch(server.url.replace('/api/vault', '/health'))).json()).toEqual({ ok: true });
    const doc = await api.request('GET', '/openapi.json');
    expect(doc.body.servers).toEqual([{ url: '/api/vault' }]);
  });
});

describe.each([['Koa 3', Koa], ['Koa 2', Koa2 as unknown as typeof Koa]] as const)('%s binding', (_major, KoaApp) => {
  it('passes requests outside its prefix on, and uses a body a parser in front already read', async () => {
    const { vault, key } = await fixture();
    const app = new KoaApp();
    app.use(async (ctx, next) => {
      // A stand-in for @koa/bodyparser: reads the stream and leaves rawBody and body behind.
      if (ctx.method === 'POST') {
        const chunks: Buffer[] = [];
        for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
        const raw = Buffer.concat(chunks).toString('utf8');
        Object.assign(ctx.request, { rawBody: raw, body: raw ? JSON.parse(raw) : {} });
      }
      await next();
    });
    app.use(createKoaMiddleware(vault, { prefix: '/v1' }));
    app.use((ctx) => {
      ctx.body = 'the app';
    });
    const server = await started(createServer(app.callback()));
    const api = client(server.url, key);
    expect((await api.request('POST', '/secrets', { json: { path: 'a/b', value: 'v' } })).status).toBe(201);
    expect((await api.request('GET', `/secrets/${enc('a/b')}`)).body.value).toBe('v');
    expect(await (await fetch(server.url.replace('/v1', '/other'))).text()).toBe('the app');
    expect(await (await fetch(server.url.replace('/v1', '/v10'))).text()).toBe('the app');
    expect((await api.request('GET', '')).status).toBe(404);
  });
});

describe('fetch handler', () => {
  it('answers requests outside its base path with our 404, rate-limit headers included', async () => {
    const { vault, key } = await fixture();
    const handler = createVaultHandler(vault, { basePath: '/v1/' });
    const outside = await handler(
      new Request('http://vault.test/v2/secrets', { headers: { authorization: `Bearer ${key}` } }),
    );
    expect(outside.status).toBe(404);
    expect(outside.headers.get('x-ratelimit-limit')).toBe('1000');
    expect(((await outside.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const inside = await handler(
      new Request('http://vault.test/v1/secrets', { headers: { authorization: `Bearer ${key}` } }),
      { ip: '::ffff:10.0.0.7' },
    );
    expect(inside.status).toBe(200);
    const { events } = await vault.queryAudit({ type: 'secret.list' });
    expect(events[0]?.ip).toBe('10.0.0.7');
  });
});

describe('node:http binding', () => {
  it('answers outside its base path with our 404, and serves the root when it has none', async () => {
    const { vault, key } = await fixture();
    const mounted = await started(createServer(createNodeHandler(vault, { basePath: '/v1/' })));
    const auth = { authorization: `Bearer ${key}` };
    for (const outside of ['/v10/secrets', '/secrets', '/']) {
      const reply = await fetch(mounted.url.replace('/v1', outside), { headers: auth });
      expect(reply.status).toBe(404);
      expect(reply.headers.get('x-ratelimit-limit')).toBe('1000');
      expect(((await reply.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
    const api = client(mounted.url, key);
    expect((await api.request('POST', '/secrets', { json: { path: 'a/b', value: 'v' } })).status).toBe(201);
    expect((await api.request('GET', `/secrets/${enc('a/b')}?version=1`)).body.value).toBe('v');
    expect((await api.request('GET', '/openapi.json')).body.servers).toEqual([{ url: '/v1' }]);
    expect((await fetch(`${mounted.url}?x=1`, { headers: auth })).status).toBe(404);

    const root = await started(createServer(createNodeHandler(vault)), '');
    const listed = await client(root.url, key).request('GET', '/secrets');
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((item: { path: string }) => item.path)).toEqual(['a/b']);
  });

  it('answers 500 in our shape if the handler itself fails (here: a host logger that throws)', async () => {
    const { vault, key } = await fixture();
    const logged: string[] = [];
    const handler = createNodeHandler(vault, {
      basePath: '/v1',
      logger: {
        warn() {},
        error: (message) => {
          logged.push(message);
          throw new Error('logger down');
        },
      },
      authenticate: () => {
        throw new Error('host bug');
      },
    });
    const server = await started(createServer(handler));
    const reply = await client(server.url, key).request('GET', '/secrets');
    expect(reply.status).toBe(500);
    expect(reply.body).toEqual({
      error: { code: 'internal_error', message: 'Internal error; retry with exponential backoff' },
    });
    expect(logged).toEqual(['request failed', 'handler failed']);
  });
});

describe('client address', () => {
  it('takes the socket address unless proxies are trusted, then the entry they appended', () => {
    expect(clientIp('::ffff:127.0.0.1', '1.2.3.4', false)).toBe('127.0.0.1');
    expect(clientIp('10.0.0.1', '1.2.3.4, 5.6.7.8', true)).toBe('5.6.7.8');
    expect(clientIp('10.0.0.1', '1.2.3.4, 5.6.7.8', 2)).toBe('1.2.3.4');
    expect(clientIp('10.0.0.1', '1.2.3.4', 5)).toBe('1.2.3.4');
    expect(clientIp('10.0.0.1', 'not-an-ip', true)).toBe('10.0.0.1');
    expect(clientIp('10.0.0.1', undefined, true)).toBe('10.0.0.1');
    expect(canonicalIp('[2001:db8::1]')).toBe('2001:db8::1');
    expect(canonicalIp('fe80::1%eth0')).toBeNull();
    expect(canonicalIp(undefined)).toBeNull();
  });
});

describe('OpenAPI document', () => {
  it('has every route of the table, each with a unique operationId', () => {
    const doc = vaultOpenApiDocument();
    for (const route of routes) {
      const operation = doc.paths?.[route.path]?.[route.method.toLowerCase() as 'get'];
      expect(operation?.operationId, `${route.method} ${route.path}`).toBe(route.operationId);
    }
    const ids = routes.map((r) => r.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('publicUrl', () => {
  it('must be an absolute http(s) URL without query, fragment or credentials', async () => {
    const { vault } = await fixture();
    for (const publicUrl of ['vault.example.com', 'ftp://vault.example.com', 'https://vault.example.com/?x=1', 'https://u:p@vault.example.com'])
      expect(() => createVaultHandler(vault, { publicUrl })).toThrow(TypeError);
    expect(() => createVaultHandler(vault, { publicUrl: 'https://vault.example.com', consolePath: 'console"><' })).toThrow(TypeError);
    expect(() => createVaultHandler(vault, { publicUrl: 'https://vault.example.com/base/' })).not.toThrow();
  });
});

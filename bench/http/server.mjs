/* global process, Buffer -- a Node.js script */
/**
 * One server of the HTTP benchmark, in its own process, on the built packages (`npm run build`):
 *   node bench/http/server.mjs <node-hello|node-vault|node-read|koa-hello|koa-vault>
 * `node-read` is the floor of `node-vault`: the same audited `vault.getSecret` straight on
 * `node:http`, no handler (no routing, limits or validation), `JSON.stringify` of the result.
 * Listens on 127.0.0.1 (a free port), then prints one JSON line `{ port, path, headers }` that
 * names the request to load it with. For each line read on stdin it prints
 * `{ requests, cpuMicros, userMicros }` (requests answered, process CPU time and its user part so far). Exits when stdin closes.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { createVault } from '@agentvault/core';
import { memoryRateLimiter } from '@agentvault/core/http';
import { createKoaMiddleware } from '@agentvault/core/koa';
import { createNodeHandler } from '@agentvault/core/node';
import { localKeyring } from '@agentvault/kms-local';
import Koa from 'koa';

const SECRET = 'bench/openai/api-key';
const kind = process.argv[2];

async function vaultSetup() {
  const vault = createVault({
    storage: memoryAdapter(),
    keys: localKeyring({ keys: { bench: randomBytes(32) } }),
    logger: { warn() {}, error() {} },
  });
  await vault.setSecret(SECRET, `sk-proj-${'x'.repeat(48)}`, { tier: 'standard' });
  const admin = await vault.createAgentKey({ roles: ['admin'], description: 'bench' });
  return {
    vault,
    // A bucket large enough that the benchmark never meets a 429; the limiter still runs and sets headers.
    options: { rateLimiter: memoryRateLimiter({ limit: 1_000_000_000, windowSeconds: 1 }) },
    request: { path: `/v1/secrets/${encodeURIComponent(SECRET)}`, headers: { authorization: `Bearer ${admin.value}` } },
  };
}

const hello = { path: '/hello', headers: {} };
let listener;
let request = hello;
switch (kind) {
  case 'node-hello':
    listener = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Hello World!');
    };
    break;
  case 'koa-hello': {
    const app = new Koa();
    app.use((ctx) => {
      ctx.body = 'Hello World!';
    });
    listener = app.callback();
    break;
  }
  case 'node-vault': {
    const setup = await vaultSetup();
    listener = createNodeHandler(setup.vault, { basePath: '/v1', ...setup.options });
    request = setup.request;
    break;
  }
  case 'node-read': {
    const setup = await vaultSetup();
    const token = setup.request.headers.authorization.slice('Bearer '.length);
    listener = (req, res) => {
      setup.vault.getSecret(SECRET, { token, ip: req.socket.remoteAddress, userAgent: 'bench' }).then((secret) => {
        const body = JSON.stringify(secret);
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': String(Buffer.byteLength(body)),
        });
        res.end(body);
      });
    };
    request = setup.request;
    break;
  }
  case 'koa-vault': {
    const setup = await vaultSetup();
    const app = new Koa();
    app.use(createKoaMiddleware(setup.vault, { prefix: '/v1', ...setup.options }));
    listener = app.callback();
    request = setup.request;
    break;
  }
  default:
    throw new Error(`unknown server kind: ${kind}`);
}

let requests = 0;
const server = createServer((req, res) => {
  requests++;
  listener(req, res);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port, ...request })}\n`);
});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  for (let i = chunk.split('\n').length - 1; i > 0; i--) {
    const { user, system } = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ requests, cpuMicros: user + system, userMicros: user })}\n`);
  }
});
process.stdin.on('end', () => process.exit(0));

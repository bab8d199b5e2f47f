/**
 * HTTP overhead of the vault's API against each framework's own hello-world, measured by
 * autocannon running in a separate process (so the load generator does not share the server's
 * event loop) against servers this process starts on 127.0.0.1:
 * - Express: `GET /hello` → "Hello World!" vs `GET /v1/secrets/bench%2Fopenai%2Fapi-key`;
 * - Koa: the same pair.
 * The vault read is the whole audited path: Bearer agent key, rate limit (a generous in-memory
 * bucket), routing, validation, an audited read on memory storage with local keys, JSON out.
 * Target: vault reads/s ≥ 0.75× hello-world requests/s on the same framework.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { createVault } from '@agentvault/core';
import { createExpressMiddleware } from '@agentvault/core/express';
import { createRequestHandler, memoryRateLimiter } from '@agentvault/core/http';
import { createKoaMiddleware } from '@agentvault/core/koa';
import { localKeyring } from '@agentvault/kms-local';
import express from 'express';
import Koa from 'koa';
import { check, type Measurement, measure as measureInProcess, printChecks, printMeasurements } from './lib';

const run$ = promisify(execFile);
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
const CONNECTIONS = 10;
const DURATION_SECONDS = 5;
const ROUNDS = 2;
const SECRET = 'bench/openai/api-key';

interface Target {
  name: string;
  start(): Promise<Server>;
  path: string;
  headers: Record<string, string>;
}

async function listen(server: Server): Promise<Server> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** One autocannon run in a child process; fails if any response was not 2xx. */
async function cannon(name: string, url: string, headers: Record<string, string>): Promise<Measurement> {
  const args = [
    AUTOCANNON,
    '--json',
    '-c',
    String(CONNECTIONS),
    '-d',
    String(DURATION_SECONDS),
    '--warmup',
    '[',
    '-c',
    String(CONNECTIONS),
    '-d',
    '1',
    ']',
  ];
  for (const [key, value] of Object.entries(headers)) args.push('-H', `${key}=${value}`);
  args.push(url);
  const { stdout } = await run$(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
  // With --warmup autocannon prints the warm-up's JSON line first; the measured run is the last.
  const last = stdout.trim().split('\n').at(-1)!;
  const result = JSON.parse(last) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    non2xx: number;
    errors: number;
  };
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${name}: ${result.non2xx} non-2xx responses, ${result.errors} errors`);
  return {
    name,
    ops: result.requests.total,
    opsPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
}

async function measure(target: Target): Promise<Measurement> {
  const server = await target.start();
  try {
    const { port } = server.address() as AddressInfo;
    return await cannon(target.name, `http://127.0.0.1:${port}${target.path}`, target.headers);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

function mean(rows: Measurement[]): Measurement {
  const first = rows[0]!;
  const avg = (pick: (m: Measurement) => number) => rows.reduce((sum, m) => sum + pick(m), 0) / rows.length;
  return {
    name: first.name,
    ops: avg((m) => m.ops),
    opsPerSec: avg((m) => m.opsPerSec),
    p50Ms: avg((m) => m.p50Ms ?? 0),
    p99Ms: avg((m) => m.p99Ms ?? 0),
  };
}

export async function run(): Promise<void> {
  const vault = createVault({
    storage: memoryAdapter(),
    keys: localKeyring({ keys: { bench: randomBytes(32) } }),
    logger: { warn() {}, error() {} },
  });
  await vault.setSecret(SECRET, `sk-proj-${'x'.repeat(48)}`, { tier: 'standard' });
  const admin = await vault.createAgentKey({ roles: ['admin'], description: 'bench' });
  const options = { rateLimiter: memoryRateLimiter({ limit: 1_000_000_000, windowSeconds: 1 }) };
  const auth = { authorization: `Bearer ${admin.value}` };
  const secretPath = `/v1/secrets/${encodeURIComponent(SECRET)}`;

  const targets: Target[] = [
    {
      name: 'Express hello-world',
      path: '/hello',
      headers: {},
      start: () => {
        const app = express();
        app.get('/hello', (_req, res) => {
          res.send('Hello World!');
        });
        return listen(createServer(app));
      },
    },
    {
      name: 'Express GET /v1/secrets/:path',
      path: secretPath,
      headers: auth,
      start: () => {
        const app = express();
        app.use('/v1', createExpressMiddleware(vault, options));
        return listen(createServer(app));
      },
    },
    {
      name: 'Koa hello-world',
      path: '/hello',
      headers: {},
      start: () => {
        const app = new Koa();
        app.use((ctx) => {
          ctx.body = 'Hello World!';
        });
        return listen(createServer(app.callback()));
      },
    },
    {
      name: 'Koa GET /v1/secrets/:path',
      path: secretPath,
      headers: auth,
      start: () => {
        const app = new Koa();
        app.use(createKoaMiddleware(vault, { prefix: '/v1', ...options }));
        return listen(createServer(app.callback()));
      },
    },
  ];

  // The HTTP layer alone, in process (no socket, no framework): what the handler adds to the vault's read.
  const handle = createRequestHandler(vault, options);
  const headers: Record<string, string> = { ...auth, 'user-agent': 'bench' };
  const request = {
    method: 'GET',
    target: `/secrets/${encodeURIComponent(SECRET)}`,
    header: (name: string) => headers[name],
    readBody: async () => new Uint8Array(0),
    socketIp: '127.0.0.1',
    mountPath: '/v1',
    origin: () => 'http://127.0.0.1',
    native: null,
  };
  const direct = await measureInProcess('vault.getSecret (agent key), in process', () =>
    vault.getSecret(SECRET, { token: admin.value, ip: '127.0.0.1', userAgent: 'bench' }),
  );
  const handled = await measureInProcess('handler GET /secrets/:path, in process', async () => {
    const response = await handle(request);
    if (response.status !== 200) throw new Error(`handler answered ${response.status}`);
  });
  printMeasurements(
    'The HTTP layer in process (concurrency 1): the same read, with and without the handler',
    [direct, handled],
  );

  // Alternate the targets over several rounds so drift in the shared machine's load hits all alike.
  const runs = new Map<string, Measurement[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of targets) {
      const result = await measure(target);
      runs.set(target.name, [...(runs.get(target.name) ?? []), result]);
    }
  }
  const results = targets.map((target) => mean(runs.get(target.name)!));
  printMeasurements(
    `autocannon -c ${CONNECTIONS} -d ${DURATION_SECONDS} (separate process), mean of ${ROUNDS} alternating rounds; req/s and latency`,
    results,
  );
  const [expressHello, expressVault, koaHello, koaVault] = results as [
    Measurement,
    Measurement,
    Measurement,
    Measurement,
  ];
  printChecks('Targets (ratios measured in this run; the machine is shared, so absolute figures drift)', [
    check(
      'In process: handler / vault.getSecret (ops/s ratio; informational)',
      handled.opsPerSec / direct.opsPerSec,
      'info',
      () => true,
    ),
    check(
      'Express: vault read / hello-world (req/s ratio)',
      expressVault.opsPerSec / expressHello.opsPerSec,
      '>= 0.75',
      (v) => v >= 0.75,
    ),
    check(
      'Koa: vault read / hello-world (req/s ratio)',
      koaVault.opsPerSec / koaHello.opsPerSec,
      '>= 0.75',
      (v) => v >= 0.75,
    ),
  ]);
}

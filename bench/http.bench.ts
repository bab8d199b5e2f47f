/**
 * HTTP cost of the vault's API, as ratios against a baseline measured in the same run:
 * - vault `GET /v1/secrets/:path` on the `node:http` binding vs a raw `node:http` hello-world
 *   (the limit of any Node server here);
 * - the same read on Koa vs Koa's own hello-world;
 * - the handler in process (no socket, no framework) added to a `vault.getSecret`.
 * Each server runs in its own process on the built packages (`npm run build` first) with
 * NODE_ENV=production; autocannon runs in another process; loopback only, bounded duration. Pairs
 * are measured back to back in alternating rounds, and each ratio is the median of the rounds.
 * Beside req/s, each server reports its own CPU time per request: on a machine shared with other
 * work, req/s swings with the scheduler while CPU per request shows the cost itself.
 * The vault read is the whole audited path: Bearer agent key, the per-address guard and the
 * limiters (a bucket too large to refuse), routing, validation, an audited read on memory
 * storage with local keys, JSON out.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { createVault } from '@agentvault/core';
import { createRequestHandler, memoryRateLimiter } from '@agentvault/core/http';
import { localKeyring } from '@agentvault/kms-local';
import { asyncOp, check, compare, type Measurement, printChecks, printMeasurements } from './lib';

const run$ = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
const SERVER = join(root, 'bench/http/server.mjs');
const CONNECTIONS = 10;
const DURATION_SECONDS = 4;
const ROUNDS = 3;
const SECRET = 'bench/openai/api-key';

type Kind = 'node-hello' | 'node-vault' | 'node-read' | 'koa-hello' | 'koa-vault';

interface Server {
  kind: Kind;
  url: string;
  headers: Record<string, string>;
  child: ChildProcess;
  /** Requests answered and CPU µs used by the server process so far. */
  usage(): Promise<{ requests: number; cpuMicros: number }>;
}

interface Run extends Measurement {
  /** Server CPU µs per request over the run. */
  cpuPerRequest: number;
}

/** The servers load the built packages: refuse to measure a `dist` older than its sources. */
function assertBuilt(): void {
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
      const path = join(dir, entry.name);
      return Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
    }, 0);
  for (const pkg of ['core', 'adapter-memory', 'kms-local']) {
    const dist = join(root, 'packages', pkg, 'dist');
    let built = 0;
    try {
      built = newest(dist);
    } catch {
      // not built
    }
    if (built < newest(join(root, 'packages', pkg, 'src')))
      throw new Error(`packages/${pkg}/dist is missing or older than its sources: run \`npm run build\` first`);
  }
}

async function startServer(kind: Kind): Promise<Server> {
  const child = spawn(process.execPath, [SERVER, kind], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production', NODE_OPTIONS: '' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const waiting: Array<(line: string) => void> = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const line = await new Promise<string>((resolve, reject) => {
    next().then(resolve, reject);
    child.once('exit', (code) => reject(new Error(`${kind} server exited (${code}) before listening`)));
  });
  const { port, path, headers } = JSON.parse(line) as { port: number; path: string; headers: Record<string, string> };
  const usage = async () => {
    const answer = next();
    child.stdin!.write('\n');
    return JSON.parse(await answer) as { requests: number; cpuMicros: number };
  };
  return { kind, url: `http://127.0.0.1:${port}${path}`, headers, child, usage };
}

/** One autocannon run in a child process; fails if any response was not 2xx. */
async function cannon(server: Server): Promise<Run> {
  const args = [AUTOCANNON, '--json', '-c', String(CONNECTIONS), '-d', String(DURATION_SECONDS)];
  args.push('--warmup', '[', '-c', String(CONNECTIONS), '-d', '1', ']');
  for (const [key, value] of Object.entries(server.headers)) args.push('-H', `${key}=${value}`);
  args.push(server.url);
  const before = await server.usage();
  const { stdout } = await run$(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
  // With --warmup autocannon prints the warm-up's JSON line first; the measured run is the last.
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    non2xx: number;
    errors: number;
  };
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${server.kind}: ${result.non2xx} non-2xx responses, ${result.errors} errors`);
  const after = await server.usage();
  return {
    cpuPerRequest: (after.cpuMicros - before.cpuMicros) / (after.requests - before.requests),
    name: server.kind,
    ops: result.requests.total,
    opsPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const spread = (values: number[]) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;

/** The handler in process against the vault's own read: what the HTTP layer adds, as a fraction of the read. */
async function inProcess() {
  const vault = createVault({
    storage: memoryAdapter(),
    keys: localKeyring({ keys: { bench: randomBytes(32) } }),
    logger: { warn() {}, error() {} },
  });
  await vault.setSecret(SECRET, `sk-proj-${'x'.repeat(48)}`, { tier: 'standard' });
  const admin = await vault.createAgentKey({ roles: ['admin'], description: 'bench' });
  const handle = createRequestHandler(vault, {
    rateLimiter: memoryRateLimiter({ limit: 1_000_000_000, windowSeconds: 1 }),
  });
  const headers: Record<string, string> = { 'authorization': `Bearer ${admin.value}`, 'user-agent': 'bench' };
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
  const read = asyncOp('vault.getSecret (agent key), in process', () =>
    vault.getSecret(SECRET, { token: admin.value, ip: '127.0.0.1', userAgent: 'bench' }),
  );
  const handled = asyncOp('handler GET /secrets/:path, in process', async () => {
    const response = await handle(request);
    if (response.status !== 200) throw new Error(`handler answered ${response.status}`);
  });
  const wall = await compare(read, handled, { rounds: 9 });
  // The same pair by CPU time (user + system) of this process: preemption on a loaded machine
  // inflates wall time, not CPU time.
  const cpuAdded: number[] = [];
  const cpuMicros = { read: [] as number[], handled: [] as number[] };
  const cpuPer = async (op: () => Promise<unknown>, n: number) => {
    const before = process.cpuUsage();
    for (let i = 0; i < n; i++) await op();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / n;
  };
  for (let round = 0; round < 9; round++) {
    const direct = await cpuPer(read.run as () => Promise<unknown>, 2000);
    const viaHandler = await cpuPer(handled.run as () => Promise<unknown>, 2000);
    cpuAdded.push(viaHandler / direct - 1);
    cpuMicros.read.push(direct);
    cpuMicros.handled.push(viaHandler);
  }
  console.log(
    `\nCPU µs per call in process (median of 9 rounds of 2,000): vault.getSecret ${median(cpuMicros.read).toFixed(1)}, through the handler ${median(cpuMicros.handled).toFixed(1)}`,
  );
  return { wall, cpuAdded };
}

export async function run(): Promise<void> {
  assertBuilt();
  const load = loadavg().map((n) => n.toFixed(1)).join(' ');
  const { wall: local, cpuAdded } = await inProcess();
  // handler ops/s = read ops/s / (1 + added): added = 1/ratio − 1 (the spread maps the same way, reversed).
  const added = 1 / local.ratio - 1;
  printMeasurements('The HTTP layer in process (concurrency 1): the same read, with and without the handler', [
    local.baseline,
    local.subject,
  ]);

  // Each group: its baseline, then what is measured against it in the same round. `node-read` is
  // the floor: the audited read on node:http with no handler at all.
  const groups: Kind[][] = [
    ['node-hello', 'node-vault', 'node-read'],
    ['koa-hello', 'koa-vault'],
  ];
  const servers = new Map<Kind, Server>();
  try {
    for (const kind of groups.flat()) servers.set(kind, await startServer(kind));
    const rows = new Map<Kind, Run[]>();
    const ratios = new Map<Kind, number[]>();
    const cpuRatios = new Map<Kind, number[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const group of groups) {
        // Alternate the order, so a drift in load within a round hits every side alike.
        const order = round % 2 === 0 ? group : group.toReversed();
        const got = new Map<Kind, Run>();
        for (const kind of order) got.set(kind, await cannon(servers.get(kind)!));
        for (const [kind, m] of got) rows.set(kind, [...(rows.get(kind) ?? []), m]);
        const base = got.get(group[0]!)!;
        for (const kind of group.slice(1)) {
          ratios.set(kind, [...(ratios.get(kind) ?? []), got.get(kind)!.opsPerSec / base.opsPerSec]);
          cpuRatios.set(kind, [...(cpuRatios.get(kind) ?? []), base.cpuPerRequest / got.get(kind)!.cpuPerRequest]);
        }
      }
    }
    printMeasurements(
      `autocannon -c ${CONNECTIONS} -d ${DURATION_SECONDS} (own process; each server in its own), median of ${ROUNDS} rounds; req/s and latency`,
      groups.flat().map((kind) => {
        const all = rows.get(kind)!;
        return [...all].sort((a, b) => a.opsPerSec - b.opsPerSec)[Math.floor(all.length / 2)]!;
      }),
    );
    console.log('\nServer CPU per request (µs; median of rounds; includes the work of the whole process)');
    console.table(
      groups.flat().map((kind) => ({ 'server': kind, 'cpu µs/request': median(rows.get(kind)!.map((r) => r.cpuPerRequest)).toFixed(1) })),
    );
    const [nodeRatios, readRatios, koaRatios] = (['node-vault', 'node-read', 'koa-vault'] as const).map(
      (kind) => ratios.get(kind)!,
    ) as [number[], number[], number[]];
    const [nodeCpu, readCpu, koaCpu] = (['node-vault', 'node-read', 'koa-vault'] as const).map(
      (kind) => cpuRatios.get(kind)!,
    ) as [number[], number[], number[]];
    printChecks(`Targets (ratios from this run; load average at start ${load})`, [
      check(
        `node:http binding: vault read / raw node:http hello-world (req/s; rounds ${spread(nodeRatios)})`,
        median(nodeRatios),
        '>= 0.5',
        (v) => v >= 0.5,
      ),
      check(
        `floor: bare vault.getSecret on node:http, no handler / hello-world (req/s; rounds ${spread(readRatios)})`,
        median(readRatios),
        'info',
        () => true,
      ),
      check(
        `Koa: vault read / Koa hello-world (req/s; rounds ${spread(koaRatios)})`,
        median(koaRatios),
        '>= 0.75',
        (v) => v >= 0.75,
      ),
      check(
        `node:http, by server CPU per request: hello-world / vault read (rounds ${spread(nodeCpu)})`,
        median(nodeCpu),
        '>= 0.5',
        (v) => v >= 0.5,
      ),
      check(
        `floor, by server CPU per request: hello-world / bare vault.getSecret (rounds ${spread(readCpu)})`,
        median(readCpu),
        'info',
        () => true,
      ),
      check(
        `Koa, by server CPU per request: hello-world / vault read (rounds ${spread(koaCpu)})`,
        median(koaCpu),
        '>= 0.75',
        (v) => v >= 0.75,
      ),
      check(
        `In process: handler's added cost / vault.getSecret (rounds ${(1 / local.spread[1] - 1).toFixed(2)}–${(1 / local.spread[0] - 1).toFixed(2)})`,
        added,
        '<= 0.5',
        (v) => v <= 0.5,
      ),
      check(
        `In process, by CPU time: handler's added cost / vault.getSecret (rounds ${spread(cpuAdded)})`,
        median(cpuAdded),
        '<= 0.5',
        (v) => v <= 0.5,
      ),
    ]);
  } finally {
    for (const server of servers.values()) server.child.stdin!.end();
  }
}

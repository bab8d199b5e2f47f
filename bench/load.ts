/**
 * `npm run load [-- --duration 60 --connections 16]`: a bounded, loopback-only load test. It starts
 * the express example (`examples/express`) as its own process on PostgreSQL, in a throwaway schema,
 * and drives a mixed workload with autocannon from this process: reads with a scoped token,
 * writes, rotations, token requests and list pages. It prints req/s, p99 latency, the error count
 * (must be 0) and the server's RSS at the start and end of the run (must stay flat), and drops the
 * schema afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { probePostgres, testUrl } from '@agentvault/adapter-postgres/testing';
import { AgentVault } from '@agentvault/client';
import pg from 'pg';
import { check, printChecks } from './lib';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as (
  options: Record<string, unknown>,
) => Promise<{
  'requests': { average: number };
  'latency': { p50: number; p99: number };
  'errors': number;
  'timeouts': number;
  'non2xx': number;
  '2xx': number;
}>;

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index === -1 ? process.env[`LOAD_${name.toUpperCase()}`] : process.argv[index + 1];
  const parsed = Number(value ?? fallback);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive number`);
  return parsed;
}

const DURATION = option('duration', 60);
const CONNECTIONS = option('connections', 16);
const WARMUP = Math.min(5, DURATION);
const SECRETS = 100;

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kib / 1024;
}

async function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const main = fileURLToPath(new URL('../examples/express/src/main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@agentvault/source', main], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening`)));
  });
  return { child, url };
}

const pick = () => `load%2Fs-${String(Math.floor(Math.random() * SECRETS)).padStart(3, '0')}`;
const value = () => randomBytes(32).toString('hex');

async function main(): Promise<void> {
  const problem = await probePostgres();
  if (problem) {
    console.error(`npm run load needs PostgreSQL: ${problem}`);
    process.exit(2);
  }
  const schema = `agentvault_load_${randomBytes(5).toString('hex')}`;
  const root = `ass_live_${randomBytes(32).toString('base64url')}`;
  const { child, url } = await startServer({
    HOST: '127.0.0.1',
    PORT: '0',
    AGENTVAULT_STORAGE: testUrl(),
    AGENTVAULT_PG_SCHEMA: schema,
    AGENTVAULT_LOCAL_KEK: randomBytes(32).toString('base64'),
    AGENTVAULT_ROOT_KEY: root,
    AGENTVAULT_APPROVER_KEY: `ass_live_${randomBytes(32).toString('base64url')}`,
    AGENTVAULT_RATE_LIMIT: 'off',
  });
  try {
    const client = new AgentVault({ agentKey: root, baseUrl: url });
    for (let i = 0; i < SECRETS; i++) await client.setSecret(`load/s-${String(i).padStart(3, '0')}`, value());
    const token = await client.requestToken({ scope: 'secrets:read:load/*', ttlSeconds: 86_400 });
    const admin = { 'authorization': `Bearer ${root}`, 'content-type': 'application/json' };
    const reader = { authorization: `Bearer ${token.value}` };
    const read = { method: 'GET', headers: reader, setupRequest: (r: { path: string }) => ({ ...r, path: `/v1/secrets/${pick()}` }) };
    // One cycle per connection: six token reads, a write, a rotation, a token request, a list page.
    const requests = [
      read,
      read,
      read,
      read,
      read,
      read,
      { method: 'PUT', headers: admin, setupRequest: (r: object) => ({ ...r, path: `/v1/secrets/${pick()}`, body: JSON.stringify({ value: value() }) }) },
      {
        method: 'POST',
        headers: admin,
        setupRequest: (r: object) => ({ ...r, path: `/v1/secrets/${pick()}/rotate`, body: JSON.stringify({ new_value: value(), grace_period_seconds: 60 }) }),
      },
      { method: 'POST', path: '/v1/tokens', headers: admin, body: JSON.stringify({ scope: 'secrets:read:load/s-007', ttl_seconds: 300 }) },
      { method: 'GET', path: '/v1/secrets?namespace=load&limit=50', headers: admin },
    ];
    const target = new URL(url).origin;
    const base = { url: target, connections: CONNECTIONS, requests };
    await autocannon({ ...base, duration: WARMUP });
    const rssStart = rssMiB(child.pid!);
    const rssSamples: number[] = [];
    const sampler = setInterval(() => rssSamples.push(rssMiB(child.pid!)), 1000);
    const result = await autocannon({ ...base, duration: DURATION });
    clearInterval(sampler);
    await sleep(200);
    const rssEnd = rssMiB(child.pid!);
    const errors = result.errors + result.timeouts + result.non2xx;
    const rssPeak = Math.max(rssStart, ...rssSamples);
    console.log(`\nLoad: express example on PostgreSQL, ${CONNECTIONS} connections, ${DURATION} s after ${WARMUP} s warm-up (loopback)`);
    console.table([
      {
        'req/s': Math.round(result.requests.average),
        'p50 ms': result.latency.p50,
        'p99 ms': result.latency.p99,
        'requests': result['2xx'] + result.non2xx,
        errors,
        'RSS start MiB': rssStart.toFixed(1),
        'RSS peak MiB': rssPeak.toFixed(1),
        'RSS end MiB': rssEnd.toFixed(1),
      },
    ]);
    // A leak climbs to the end; bounded caches filling up level off.
    const trail = rssSamples.filter((_, i) => i % 10 === 9).map((mib) => mib.toFixed(0));
    console.log(`RSS every 10 s (MiB): ${trail.join(' ')}`);
    printChecks('Targets', [
      check('errors (non-2xx, socket errors, timeouts)', errors, '= 0', (v) => v === 0),
      check('RSS end / RSS start', rssEnd / rssStart, '<= 1.25 (flat)', (v) => v <= 1.25),
    ]);
    process.exitCode = errors === 0 && rssEnd / rssStart <= 1.25 ? 0 : 1;
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    const pool = new pg.Pool({ connectionString: testUrl(), max: 1 });
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  }
}

await main();

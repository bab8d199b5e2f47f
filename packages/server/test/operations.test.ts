/**
 * The operations a running vault needs, in process with a manual clock: expiry webhooks (one signed
 * delivery at 7 days and one at 1 day), trash purged after its retention by the maintenance timer,
 * readiness following PostgreSQL away and back, and metrics.
 */
import { createServer, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { verifyWebhookSignature } from '@agentvault/core';
import { describeRequiring, manualClock } from '@agentvault/core/testing';
import { dropSchema, probePostgres, testPool, uniqueSchema } from '@agentvault/adapter-postgres/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { type RunningServer, startServer } from '../src/server';
import { agentKey, tempDir } from './support';

const DAY = 86_400_000;
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Poll until `check` passes or the bound runs out (maintenance runs on its own timer). */
async function eventually(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface Started {
  server: RunningServer;
  clock: ReturnType<typeof manualClock>;
  logs: string[];
}

async function start(env: Record<string, string>, clock = manualClock()): Promise<Started> {
  const dir = await tempDir('ops');
  cleanups.push(() => dir.remove());
  const logs: string[] = [];
  const sink = { write: (line: string) => logs.push(line) } as unknown as NodeJS.WritableStream;
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', AGENTVAULT_STORAGE: 'memory', AGENTVAULT_DATA_DIR: dir.path, ...env });
  const server = await startServer(config, { clock, logger: createLogger(config, sink) });
  cleanups.push(() => server.close());
  return { server, clock, logs };
}

interface Delivery { type: string; body: string; signature: string | undefined }

async function webhookReceiver(): Promise<{ url: string; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  const receiver: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      deliveries.push({ type: String(req.headers['agentvault-event']), body, signature: req.headers['agentvault-signature'] as string | undefined });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => receiver.close(resolve)));
  const { port } = receiver.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hook`, deliveries };
}

describe('maintenance on its timer', () => {
  it('an expiring secret produces exactly one signed webhook at 7 days and one at 1 day', async () => {
    const hook = await webhookReceiver();
    const secret = 'whsec-0123456789abcdef';
    const { server, clock } = await start({
      AGENTVAULT_WEBHOOK_URL: hook.url,
      AGENTVAULT_WEBHOOK_SECRET: secret,
      AGENTVAULT_WEBHOOK_EVENTS: 'secret.expiring',
      AGENTVAULT_MAINTENANCE_INTERVAL: '1',
    });
    await server.vault.setSecret('prod/cert', 'pem-bytes', { expiresAt: new Date(clock.now() + 10 * DAY) });

    clock.advance(3.5 * DAY); // 6.5 days left: the 7-day warning
    await eventually(() => hook.deliveries.length === 1);
    // Further passes in the same window send nothing more.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(hook.deliveries).toHaveLength(1);

    clock.advance(6 * DAY); // 0.5 days left: the 1-day warning
    await eventually(() => hook.deliveries.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(hook.deliveries).toHaveLength(2);

    const kinds = hook.deliveries.map((delivery) => {
      expect(delivery.type).toBe('secret.expiring');
      expect(verifyWebhookSignature({ secret, header: delivery.signature, body: delivery.body })).toBe(true);
      expect(verifyWebhookSignature({ secret: 'another-secret-0123', header: delivery.signature, body: delivery.body })).toBe(false);
      expect(delivery.body).not.toContain('pem-bytes');
      return (JSON.parse(delivery.body) as { data: { path: string; warning: string } }).data;
    });
    expect(kinds.map(({ path, warning }) => [path, warning])).toEqual([['prod/cert', '7d'], ['prod/cert', '1d']]);
  });

  it('the trash is purged once its retention ends, and not before', async () => {
    const { server, clock } = await start({ AGENTVAULT_MAINTENANCE_INTERVAL: '1' });
    await server.vault.setSecret('old/token', 'v');
    await server.vault.deleteSecret('old/token');
    clock.advance(29 * DAY);
    // Passes run inside the retention: the secret is still restorable.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await server.vault.restoreSecret('old/token');
    await server.vault.deleteSecret('old/token');
    clock.advance(31 * DAY);
    await eventually(async () => {
      try {
        await server.vault.restoreSecret('old/token');
        return false;
      } catch (error) {
        return (error as { code?: string }).code === 'not_found';
      }
    });
  });
});

describe('metrics', () => {
  it('count requests by route template and code, and the library reports data-key cache lookups', async () => {
    const root = agentKey();
    const { server } = await start({ AGENTVAULT_ROOT_KEY: root });
    await server.vault.setSecret('team/a', 'secret-value-xyz');
    const read = await fetch(`${server.url}/secrets/${encodeURIComponent('team/a')}`, { headers: { authorization: `Bearer ${root}` } });
    expect(read.status).toBe(200);
    await fetch(`${server.url}/secrets/${encodeURIComponent('team/missing')}`, { headers: { authorization: `Bearer ${root}` } });
    const text = await (await fetch(`${server.origin}/metrics`)).text();
    expect(text).toMatch(/agentvault_http_requests_total\{method="GET",route="\/v1\/secrets\/:path",code="200"\} 1/);
    expect(text).toMatch(/agentvault_http_requests_total\{method="GET",route="\/v1\/secrets\/:path",code="404"\} 1/);
    expect(text).toMatch(/agentvault_data_key_cache_lookups_total\{result="hit"\} [1-9]/);
    expect(text).toMatch(/agentvault_key_service_duration_count\{[^}]*operation="(wrap|generate_data_key)"/);
    expect(text).toMatch(/agentvault_key_service_duration_bucket\{[^}]*le="0.005"\}/);
    expect(text).not.toContain('team/a');
    expect(text).not.toContain('secret-value-xyz');
  });
});

describe('approvals', () => {
  it('approve_url points at the console page under the configured public URL, never the Host header', async () => {
    const root = agentKey();
    const { server } = await start({ AGENTVAULT_ROOT_KEY: root, AGENTVAULT_PUBLIC_URL: 'https://vault.example.com/' });
    await server.vault.setSecret('prod/db', 'v', { tier: 'critical' });
    const response = await fetch(`${server.url}/tokens`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${root}`, 'content-type': 'application/json', 'host': 'evil.example' },
      body: JSON.stringify({ scope: 'secrets:read:prod/*' }),
    });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { approve_url: string; approval_request_id: string };
    expect(body.approve_url).toBe(`https://vault.example.com/console/approvals/${body.approval_request_id}`);
    const page = await fetch(`${server.origin}/console/approvals/${body.approval_request_id}`, { redirect: 'manual' });
    expect([200, 302, 303]).toContain(page.status);
  });
});

/** A TCP forwarder to PostgreSQL that can be cut and restored, standing in for the database going away. */
async function cuttableProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let up = true;
  const proxy = createTcpServer((client) => {
    if (!up) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: (proxy.address() as { port: number }).port,
    cut() {
      up = false;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      up = true;
    },
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      proxy.close(resolve);
    }),
  };
}

const pgProblem = await probePostgres();

describeRequiring(pgProblem, 'readiness on PostgreSQL', () => {
  it('/readyz turns unready when PostgreSQL goes away and ready again when it returns', async () => {
    const proxy = await cuttableProxy({ host: '127.0.0.1', port: 5432 });
    cleanups.push(() => proxy.close());
    const schema = uniqueSchema('readyz');
    const pool = testPool();
    cleanups.push(async () => {
      await dropSchema(pool, schema);
      await pool.end();
    });
    const { server } = await start({ AGENTVAULT_STORAGE: `postgres://postgres@127.0.0.1:${proxy.port}/test`, AGENTVAULT_PG_SCHEMA: schema });
    const ready = async () => (await fetch(`${server.origin}/readyz`)).status;
    expect(await ready()).toBe(200);
    proxy.cut();
    await eventually(async () => (await ready()) === 503);
    const body = (await (await fetch(`${server.origin}/readyz`)).json()) as { checks: { storage: string; keys: string } };
    expect(body.checks).toEqual({ storage: 'unavailable', keys: 'ok' });
    expect((await fetch(`${server.origin}/healthz`)).status).toBe(200);
    proxy.restore();
    await eventually(async () => (await ready()) === 200, 15_000);
  });
});

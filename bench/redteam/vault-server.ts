/**
 * The server side of the HTTP probes, run as a child process by `startVaultServer`: the vault's
 * fetch handler on node:http at 127.0.0.1, on memory storage with a local key, default limits.
 * It counts what storage appends to the audit trail, and answers `stats` over IPC.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { type AuditEventInput, createVault, type StorageAdapter } from '@agentvault/core';
import { createVaultHandler } from '@agentvault/core/http';
import { localKeyring } from '@agentvault/kms-local';

const counts = { appends: 0, byType: {} as Record<string, number>, aggregated: 0 };

function counting(storage: StorageAdapter): StorageAdapter {
  return new Proxy(storage, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'appendAudit')
        return async (event: AuditEventInput) => {
          await (value as (e: AuditEventInput) => Promise<void>).call(target, event);
          counts.appends++;
          counts.byType[event.type] = (counts.byType[event.type] ?? 0) + 1;
          if (event.type === 'auth.failed' || event.type === 'request.refused')
            counts.aggregated += Number(event.details.count ?? 0);
        };
      return value.bind(target);
    },
  });
}

const vault = createVault({
  storage: counting(memoryAdapter()),
  keys: localKeyring({ keys: { redteam: randomBytes(32) } }),
  logger: { warn() {}, error: (message) => console.error(`[vault] ${message}`) },
});
const adminKey = (await vault.createAgentKey({ roles: ['admin'], description: 'red team admin' })).value;
const handler = createVaultHandler(vault, {
  basePath: '/v1',
  refusalAudit: { windowSeconds: Number(process.env.REDTEAM_REFUSAL_WINDOW_SECONDS ?? 60) },
});

const server = createServer(async (req, res) => {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const request = new Request(`http://${req.headers.host}${req.url}`, {
    method: req.method,
    headers,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' } : {}),
  } as RequestInit);
  const response = await handler(request, { ip: req.socket.remoteAddress ?? null });
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;

process.on('message', (message: { type: string; id: number }) => {
  if (message.type !== 'stats') return;
  // What the server retains, not the garbage the flood left for the next collection.
  (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  process.send!({
    type: 'reply',
    id: message.id,
    value: {
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      auditAppends: counts.appends,
      auditByType: counts.byType,
      aggregatedRefusals: counts.aggregated,
    },
  });
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
process.send!({ type: 'ready', url: `http://127.0.0.1:${port}/v1`, adminKey });

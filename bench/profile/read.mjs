/* global process, console, performance -- a Node.js script */
/**
 * A CPU profile of the HTTP read path on the built packages (run `npm run build` first):
 *   node --cpu-prof --cpu-prof-dir=bench/profile/out bench/profile/read.mjs [handler|node|vault] [reads]
 * `handler`: the shared request handler in process; `node`: the node:http binding over a real
 * loopback socket; `vault`: `vault.getSecret` with the agent key alone; `trusted`: `vault.getSecret`
 * as the trusted in-process caller (the core bench's audited read). Then `node bench/profile/top.mjs <file>`.
 */
import { randomBytes } from 'node:crypto';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { createVault } from '@agentvault/core';
import { createRequestHandler, memoryRateLimiter } from '@agentvault/core/http';
import { localKeyring } from '@agentvault/kms-local';

const mode = process.argv[2] ?? 'handler';
const reads = Number(process.argv[3] ?? 200_000);
const SECRET = 'bench/openai/api-key';

const vault = createVault({
  storage: memoryAdapter(),
  keys: localKeyring({ keys: { bench: randomBytes(32) } }),
  logger: { warn() {}, error() {} },
});
await vault.setSecret(SECRET, `sk-proj-${'x'.repeat(48)}`, { tier: 'standard' });
const admin = await vault.createAgentKey({ roles: ['admin'], description: 'bench' });
const options = { rateLimiter: memoryRateLimiter({ limit: 1_000_000_000, windowSeconds: 1 }) };
const headers = { 'authorization': `Bearer ${admin.value}`, 'user-agent': 'bench' };

const started = performance.now();
if (mode === 'trusted') {
  for (let i = 0; i < reads; i++) await vault.getSecret(SECRET);
} else if (mode === 'vault') {
  for (let i = 0; i < reads; i++)
    await vault.getSecret(SECRET, { token: admin.value, ip: '127.0.0.1', userAgent: 'bench' });
} else if (mode === 'handler') {
  const handle = createRequestHandler(vault, options);
  const request = {
    method: 'GET',
    target: `/secrets/${encodeURIComponent(SECRET)}`,
    header: (name) => headers[name],
    readBody: async () => new Uint8Array(0),
    socketIp: '127.0.0.1',
    mountPath: '/v1',
    origin: () => 'http://127.0.0.1',
    native: null,
  };
  for (let i = 0; i < reads; i++) {
    const response = await handle(request);
    if (response.status !== 200) throw new Error(`answered ${response.status}: ${response.body}`);
  }
} else if (mode === 'node') {
  const { createServer, request: httpRequest, Agent } = await import('node:http');
  const { createNodeHandler } = await import('@agentvault/core/node');
  const server = createServer(createNodeHandler(vault, { basePath: '/v1', ...options }));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const path = `/v1/secrets/${encodeURIComponent(SECRET)}`;
  const one = () =>
    new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`answered ${res.statusCode}`));
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
  let left = reads;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (left-- > 0) await one();
    }),
  );
  agent.destroy();
  server.close();
} else {
  throw new Error(`unknown mode ${mode}`);
}
const ms = performance.now() - started;
console.log(`${mode}: ${reads} reads in ${ms.toFixed(0)} ms (${((ms * 1000) / reads).toFixed(1)} µs each)`);

/**
 * Fuzz of the Express mount: 10,000 generated requests (500 runs × 20) of assorted methods, paths
 * and percent-encodings, query strings, credentials, content types and bodies, over a real socket.
 * For every request: no 5xx; every error is our JSON with the code its status documents and the
 * rate-limit headers; no secret value in an error; and a refused request leaves storage exactly
 * as it was (apart from the audit trail, which records refusals by design).
 */
import { Agent, createServer, request as httpRequest, METHODS } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type MemoryAdapter, memoryAdapter } from '@agentvault/adapter-memory';
import express from 'express';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createExpressMiddleware, type ExpressVaultMiddleware } from '../../src/http/express';
import { memoryRateLimiter } from '../../src/http/rate-limit/memory';
import { routes } from '../../src/http/routes';
import { errorWire } from '../../src/http/wire/responses';
import { testKeyWrapper } from '../../src/testing/key-wrappers';
import { createVault } from '../../src/vault/create-vault';

const RUNS = 500;
const REQUESTS_PER_RUN = 20;
const BODY_LIMIT = 4096;
const SECRET_VALUES = ['sk-fuzz-openai-0123456789', 'postgresql://fuzz:hunter2@db/app'];

const CODE_OF_STATUS: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'permission_denied',
  404: 'not_found',
  409: 'conflict',
  410: 'gone',
  413: 'payload_too_large',
  422: 'validation_error',
  429: 'rate_limited',
};

interface World {
  middleware: ExpressVaultMiddleware;
  storage: MemoryAdapter;
  credentials: Record<'admin' | 'approver' | 'token', string>;
  approvalId: string;
  tokenId: string;
}

async function newWorld(): Promise<World> {
  const storage = memoryAdapter();
  const vault = createVault({ storage, keys: testKeyWrapper(), logger: { warn() {}, error() {} } });
  await vault.setSecret('production/openai/api-key', SECRET_VALUES[0]!, { tier: 'standard' });
  await vault.setSecret('production/postgres/main', SECRET_VALUES[1]!, { tier: 'critical' });
  const admin = await vault.createAgentKey({ roles: ['admin'] });
  const approver = await vault.createAgentKey({ roles: ['approver'] });
  const token = await vault.requestToken({ scope: 'secrets:*:production/openai/* audit:read' });
  const pending = await vault.requestToken(
    { scope: 'secrets:read:production/postgres/*' },
    { token: admin.value },
  );
  return {
    middleware: createExpressMiddleware(vault, {
      bodyLimitBytes: BODY_LIMIT,
      rateLimiter: memoryRateLimiter({ limit: 1_000_000 }),
      logger: { warn() {}, error() {} },
    }),
    storage,
    credentials: { admin: admin.value, approver: approver.value, token: token.value! },
    approvalId: pending.approvalRequestId!,
    tokenId: token.id!,
  };
}

/** Everything stored except the audit trail. */
async function stored(storage: MemoryAdapter): Promise<string> {
  const { audit: _audit, ...rest } = JSON.parse(await storage.backdoor().dump()) as Record<string, unknown>;
  return JSON.stringify(rest);
}

// ── Generators ─────────────────────────────────────────────────────────────

const printable = fc.string({
  unit: fc.constantFrom(...' !"#$&\'()*+,-./:;<=>?@[]^_`{|}~abcXYZ019%'),
  maxLength: 40,
});
const pathSegment = fc.oneof(
  fc.constantFrom(
    'secrets',
    'tokens',
    'approvals',
    'audit',
    'import',
    'openapi.json',
    'rotate',
    'versions',
    'rollback',
    'restore',
    'approve',
    'deny',
    'production%2Fopenai%2Fapi-key',
    'production%2Fpostgres%2Fmain',
    'production%252Fopenai',
    '%2e%2e',
    '..',
    '.',
    '',
    '%ZZ',
    '%',
    '%E2%82%AC',
    '%C0%AF',
    'apr_0000',
    'tok_0000',
  ),
  printable.map((text) => encodeURIComponent(text)),
  printable.map((text) => text.replace(/[^\x21-\x7e]|[?#]/g, '')),
);
const queryValue = fc.oneof(
  fc.constantFrom(
    '1',
    'v1',
    '0',
    '-1',
    '201',
    '99999999999',
    'true',
    'false',
    'critical',
    'standard',
    'desc',
    'x',
  ),
  fc.constantFrom('production', 'production%2Fopenai', '2026-01-01T00:00:00Z', 'eyJ0IjoxfQ', '%ZZ'),
  printable.map((text) => encodeURIComponent(text)),
);
const queryKey = fc.constantFrom(
  'version',
  'permanent',
  'namespace',
  'limit',
  'cursor',
  'tier',
  'type',
  'trashed',
  'status',
  'order',
  'since',
  'until',
  'actor',
  'success',
  'path',
  'colour',
);
const query = fc
  .array(fc.tuple(queryKey, queryValue), { maxLength: 3 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));
const paramValue = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'production%2Fopenai%2Fapi-key',
      'production%2Fpostgres%2Fmain',
      'production%2Ffuzz%2Fnew',
      'APPROVAL_ID',
      'TOKEN_ID',
    ),
  },
  { weight: 1, arbitrary: pathSegment },
);
/** A path built from one of the API's own route templates, its parameters filled in. */
const routePath = fc
  .tuple(fc.constantFrom(...routes), fc.array(paramValue, { minLength: 2, maxLength: 2 }))
  .map(([route, values]) => {
    let i = 0;
    return { method: route.method, path: route.path.replace(/\{\w+\}/g, () => values[i++]!) };
  });
const randomPath = fc
  .tuple(fc.array(pathSegment, { minLength: 0, maxLength: 4 }), fc.boolean())
  .map(([segments, trailing]) => `/${segments.join('/')}${trailing ? '/' : ''}`);

const fieldValue = fc.oneof(
  fc.constantFrom(
    'production/openai/api-key',
    'production/fuzz/new',
    'a',
    '',
    '../x',
    'a//b',
    'v2',
    'critical',
  ),
  fc.constantFrom('secrets:read:production/openai/*', 'secrets:*:*', 'audit:read', 'secrets:read:open*'),
  fc.constantFrom('2026-01-01T00:00:00Z', 'KEY=1\nOTHER="2"\n', 'not a line', null, true, 0, -1, 3.5, 1e12),
  fc.string({ maxLength: 30 }),
  fc.integer(),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
);
const fieldName = fc.constantFrom(
  'path',
  'value',
  'tier',
  'type',
  'description',
  'tags',
  'expires_at',
  'expires_in_days',
  'expected_version',
  'new_value',
  'grace_period_seconds',
  'version',
  'scope',
  'ttl_seconds',
  'allowed_ips',
  'max_uses',
  'waive_approval',
  'comment',
  'reason',
  'env',
  'namespace',
  'tier_by_prefix',
  'dry_run',
  'overwrite',
  '__proto__',
  'constructor',
);
/** Bodies an endpoint accepts, to be sent as they are or with fields changed and added. */
const plausibleBody = fc
  .tuple(
    fc.constantFrom<Record<string, unknown>>(
      { path: 'production/fuzz/new', value: 'sk-fuzz-new', tier: 'standard' },
      { path: 'production/openai/api-key', value: 'dup' },
      { value: 'v2' },
      { description: 'metadata only', tags: { team: 'ml' } },
      { new_value: 'v3', grace_period_seconds: 10 },
      { version: 1 },
      { scope: 'secrets:read:production/openai/*', ttl_seconds: 60 },
      { scope: 'secrets:read:production/postgres/*' },
      { comment: 'ok' },
      { reason: 'no' },
      { env: 'A=1\nB="two"\n', namespace: 'production' },
      {},
    ),
    fc.oneof(
      { weight: 3, arbitrary: fc.constant({}) },
      { weight: 1, arbitrary: fc.dictionary(fieldName, fieldValue, { maxKeys: 2 }) },
    ),
  )
  .map(([base, changes]) => JSON.stringify({ ...base, ...changes }));

const body = fc.oneof(
  fc.constant(undefined),
  { weight: 4, arbitrary: plausibleBody },
  {
    weight: 4,
    arbitrary: fc.dictionary(fieldName, fieldValue, { maxKeys: 5 }).map((object) => JSON.stringify(object)),
  },
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 60 }),
  fc.uint8Array({ maxLength: 60 }).map((bytes) => Buffer.from(bytes)),
  fc.constant(JSON.stringify({ path: 'production/big', value: 'x'.repeat(BODY_LIMIT) })),
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json',
  'application/json',
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/merge-patch+json',
  'application/x-www-form-urlencoded',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/jsonx',
);
const credential = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('admin', 'admin', 'token', 'approver') },
  { weight: 1, arbitrary: fc.constantFrom('none', 'garbage', 'basic', 'long', 'empty') },
);
// Node's HTTP parser refuses methods it does not know before any handler runs, so the fuzz draws
// from the ones it accepts, weighted towards the API's own.
const method = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE') },
  { weight: 1, arbitrary: fc.constantFrom(...METHODS.filter((m) => m !== 'CONNECT')) },
);

const target = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.tuple(
      routePath,
      fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      method,
      query,
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      randomPath.map((path) => ({ method: 'GET', path })),
      fc.constant(false),
      method,
      query,
    ),
  },
);

const requestArb = fc.record({
  // Mostly the route's own method, sometimes another one.
  target: target.map(([route, ownMethod, other, q]) => ({
    method: ownMethod ? route.method : other,
    path: `/v1${route.path}${q}`,
  })),
  body,
  contentType,
  credential,
  forwardedFor: fc.option(fc.constantFrom('10.0.0.1', 'garbage', '1.2.3.4, 5.6.7.8'), { nil: undefined }),
  userAgent: fc.option(fc.string({ unit: fc.constantFrom('a', 'b', ' ', '/', '1'), maxLength: 1000 }), {
    nil: undefined,
  }),
});
type FuzzRequest = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

// ── The server ─────────────────────────────────────────────────────────────

let current: World;
let port = 0;
const agent = new Agent({ keepAlive: true, maxSockets: 4 });
const server = createServer(
  express().use(
    '/v1',
    (req: express.Request, res: express.Response, next: express.NextFunction) =>
      current.middleware[0](req, res, next),
    (error: unknown, req: express.Request, res: express.Response, next: express.NextFunction) =>
      current.middleware[1](error, req, res, next),
  ),
);

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  agent.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function authorization(kind: FuzzRequest['credential'], world: World): string | undefined {
  switch (kind) {
    case 'none':
      return undefined;
    case 'admin':
    case 'approver':
    case 'token':
      return `Bearer ${world.credentials[kind]}`;
    case 'garbage':
      return 'Bearer ass_live_garbage';
    case 'basic':
      return 'Basic YTpi';
    case 'long':
      return `Bearer ast_tok_${'x'.repeat(700)}`;
    case 'empty':
      return 'Bearer ';
  }
}

function send(
  r: FuzzRequest,
  world: World,
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  const headers: Record<string, string> = {};
  const auth = authorization(r.credential, world);
  if (auth) headers.authorization = auth;
  if (r.contentType) headers['content-type'] = r.contentType;
  if (r.forwardedFor) headers['x-forwarded-for'] = r.forwardedFor;
  if (r.userAgent !== undefined) headers['user-agent'] = r.userAgent;
  if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body));
  const path = r.target.path.replace('APPROVAL_ID', world.approvalId).replace('TOKEN_ID', world.tokenId);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: r.target.method, path, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(r.body);
  });
}

it(`answers ${RUNS * REQUESTS_PER_RUN} generated requests without a 5xx, in the documented shape, storing nothing when refusing`, async () => {
  let sent = 0;
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(
      fc.array(requestArb, { minLength: REQUESTS_PER_RUN, maxLength: REQUESTS_PER_RUN }),
      async (requests) => {
        current = await newWorld();
        let before = await stored(current.storage);
        for (const r of requests) {
          const reply = await send(r, current);
          sent++;
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          expect(reply.status, `${r.target.method} ${r.target.path}`).toBeLessThan(500);
          expect(reply.headers['x-ratelimit-limit']).toBeDefined();
          expect(reply.headers['x-ratelimit-remaining']).toBeDefined();
          expect(reply.headers['x-ratelimit-reset']).toBeDefined();
          const after = await stored(current.storage);
          if (reply.status < 400) {
            before = after;
            continue;
          }
          expect(after, `${r.target.method} ${r.target.path} → ${reply.status} changed storage`).toBe(before);
          expect(reply.headers['content-type']).toMatch(/^application\/json/);
          if (r.target.method === 'HEAD') continue;
          const parsed = errorWire.safeParse(JSON.parse(reply.text));
          expect(parsed.success, reply.text).toBe(true);
          expect(parsed.data?.error.code, `${r.target.method} ${r.target.path}: ${reply.text}`).toBe(
            CODE_OF_STATUS[reply.status],
          );
          for (const value of SECRET_VALUES) expect(reply.text).not.toContain(value);
          expect(reply.text).not.toMatch(/\n\s+at /);
        }
      },
    ),
    { numRuns: RUNS },
  );
  expect(sent).toBeGreaterThanOrEqual(10_000);
  console.log(
    `fuzz: ${sent} requests; statuses ${[...statuses]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ')}`,
  );
}, 300_000);

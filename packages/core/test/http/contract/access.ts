/** Scoped tokens, approvals, the audit trail, host authentication and client addresses. */
import { request as httpRequest } from 'node:http';
import { expect, it } from 'vitest';
import type { Principal } from '../../../src/domain/principals';
import {
  approvalListWire,
  approvalWire,
  auditPageWire,
  issuedTokenWire,
  pendingTokenWire,
  tokenInfoWire,
} from '../../../src/http/wire/responses';
import { memoryRateLimiter } from '../../../src/http/rate-limit/memory';
import { enc, type World } from '../support/world';
import { type ContractContext, expectError, expectWire } from './context';

async function seed(w: World) {
  const api = w.api(w.admin);
  await api.request('POST', '/secrets', { json: { path: 'production/openai/api-key', value: 'sk-openai' } });
  await api.request('POST', '/secrets', { json: { path: 'production/stripe/api-key', value: 'sk-stripe' } });
  await api.request('POST', '/secrets', {
    json: { path: 'production/postgres/main', value: 'postgresql://db', tier: 'critical' },
  });
  return api;
}

/** POST /tokens with a forged Host header (fetch may not send one of its own choosing). */
function postWithHost(url: string, host: string, credential: string, json: unknown): Promise<{ status: number; body: string }> {
  const target = new URL(`${url}/tokens`);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { host, 'authorization': `Bearer ${credential}`, 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(json));
  });
}

export function accessContract(ctx: ContractContext): void {
  it('builds approve_url from the configured public URL and the console path, never from the Host header', async () => {
    const w = await ctx.world({ handler: { publicUrl: 'https://vault.example.com/' } });
    await seed(w);
    const scope = 'secrets:read:production/postgres/*';
    for (const host of ['evil.example', 'evil.example:8443']) {
      const reply = await postWithHost(w.server.url, host, w.admin, { scope });
      expect(reply.status).toBe(202);
      expect(reply.body).not.toContain('evil.example');
      const body = JSON.parse(reply.body) as { approve_url: string; approval_request_id: string };
      expect(body.approve_url).toBe(`https://vault.example.com/console/approvals/${body.approval_request_id}`);
    }

    const noConsole = await ctx.world({ handler: { publicUrl: 'https://vault.example.com', consolePath: false } });
    await seed(noConsole);
    const reply = await postWithHost(noConsole.server.url, 'evil.example', noConsole.admin, { scope });
    const body = JSON.parse(reply.body) as { approve_url: string; approval_request_id: string };
    expect(body.approve_url).toBe(`https://vault.example.com/v1/approvals/${body.approval_request_id}`);

    const unset = await ctx.world();
    await seed(unset);
    const relative = await postWithHost(unset.server.url, 'evil.example', unset.admin, { scope });
    expect(relative.body).not.toContain('evil.example');
    expect(JSON.parse(relative.body)).toMatchObject({ approve_url: expect.stringMatching(/^\/v1\/approvals\/apr_/) });
  });

  it('issues a standard token (201) that reads within its scope and is refused outside it', async () => {
    const w = await ctx.world();
    const api = await seed(w);
    const issued = await api.request('POST', '/tokens', {
      json: {
        scope: 'secrets:read:production/openai/*',
        ttl_seconds: 3600,
        description: 'Inference agent token',
        allowed_ips: null,
        max_uses: null,
      },
    });
    expect(issued.status).toBe(201);
    const token = expectWire(issuedTokenWire, issued);
    expect(token).toMatchObject({
      scope: 'secrets:read:production/openai/*',
      ttl_seconds: 3600,
      expires_at: new Date(w.clock.now() + 3_600_000).toISOString(),
      approval_status: 'approved',
      approval_request_id: null,
    });
    expect(token.value).toMatch(/^ast_tok_/);

    const agent = w.api(token.value);
    expect((await agent.request('GET', `/secrets/${enc('production/openai/api-key')}`)).body.value).toBe(
      'sk-openai',
    );
    const refused = expectError(
      await agent.request('GET', `/secrets/${enc('production/stripe/api-key')}`),
      403,
      'permission_denied',
    );
    expect(refused).toMatchObject({
      path: 'production/stripe/api-key',
      required_scope: 'secrets:read:production/stripe/*',
    });
    expect(refused.message).toContain('\'secrets:read:production/openai/*\'');
    // The read grant lists the namespace it covers, and nothing wider.
    const listed = await agent.request('GET', `/secrets?namespace=${enc('production/openai')}`);
    expect(listed.status).toBe(200);
    expect((listed.body.items as { path: string }[]).map((i) => i.path)).toEqual(['production/openai/api-key']);
    expect(
      expectError(await agent.request('GET', `/secrets?namespace=production`), 403, 'permission_denied'),
    ).toMatchObject({ required_scope: 'secrets:list:production/*' });
    const audit = expectError(await agent.request('GET', '/audit'), 403, 'permission_denied');
    expect(audit.required_scope).toBe('audit:read');
  });

  it('spends a single-use token once, and a revoked token is refused', async () => {
    const w = await ctx.world();
    const api = await seed(w);
    const once = (
      await api.request('POST', '/tokens', {
        json: { scope: 'secrets:read:production/openai/*', max_uses: 1 },
      })
    ).body;
    const agent = w.api(once.value);
    expect((await agent.request('GET', `/secrets/${enc('production/openai/api-key')}`)).status).toBe(200);
    expectError(
      await agent.request('GET', `/secrets/${enc('production/openai/api-key')}`),
      401,
      'unauthorized',
    );

    const other = (
      await api.request('POST', '/tokens', { json: { scope: 'secrets:read:production/openai/*' } })
    ).body;
    const revoked = await api.request('DELETE', `/tokens/${other.id}`);
    expect(revoked.status).toBe(200);
    expect(expectWire(tokenInfoWire, revoked)).toMatchObject({
      id: other.id,
      revoked_at: expect.any(String),
    });
    const refused = await w.api(other.value).request('GET', `/secrets/${enc('production/openai/api-key')}`);
    expectError(refused, 401, 'unauthorized');
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('opens an approval request (202); the approver approves; the requester collects the token once', async () => {
    const w = await ctx.world();
    const api = await seed(w);
    const pending = await api.request('POST', '/tokens', {
      json: { scope: 'secrets:read:production/postgres/*', ttl_seconds: 900, description: 'migration' },
    });
    expect(pending.status).toBe(202);
    const body = expectWire(pendingTokenWire, pending);
    expect(body).toMatchObject({
      approval_status: 'pending',
      approval_request_id: expect.stringMatching(/^apr_/),
    });
    const id = body.approval_request_id;
    // No public URL configured: the API's own endpoint, as a path (never a host taken from the request).
    expect(body.approve_url).toBe(`${new URL(w.server.url).pathname}/approvals/${id}`);

    expectError(
      await api.request('POST', `/approvals/${id}/approve`, { json: {} }),
      403,
      'permission_denied',
    );
    const approver = w.api(w.approver);
    const listed = await approver.request('GET', '/approvals?status=pending');
    expect(expectWire(approvalListWire, listed).items.map((a) => a.id)).toEqual([id]);

    const approved = await approver.request('POST', `/approvals/${id}/approve`, {
      json: { comment: 'Approved for batch run #4821' },
    });
    expect(approved.status).toBe(200);
    expect(expectWire(approvalWire, approved)).toMatchObject({
      id,
      status: 'approved',
      approval_status: 'approved',
      token: null,
      decisions: [{ decision: 'approve', note: 'Approved for batch run #4821' }],
    });
    expectError(await approver.request('POST', `/approvals/${id}/deny`, { json: {} }), 409, 'conflict');
    // The approver never sees the token.
    expect((await approver.request('GET', `/approvals/${id}`)).body.token).toBeNull();

    const collected = await api.request('GET', `/approvals/${id}`);
    const view = expectWire(approvalWire, collected);
    expect(view.token?.value).toMatch(/^ast_tok_/);
    expect((await api.request('GET', `/approvals/${id}`)).body.token).toBeNull();
    const db = await w.api(view.token!.value).request('GET', `/secrets/${enc('production/postgres/main')}`);
    expect(db.body.value).toBe('postgresql://db');
  });

  it('denies a request with a reason', async () => {
    const w = await ctx.world();
    const api = await seed(w);
    const id = (
      await api.request('POST', '/tokens', { json: { scope: 'secrets:read:production/postgres/*' } })
    ).body.approval_request_id;
    const denied = await w
      .api(w.approver)
      .request('POST', `/approvals/${id}/deny`, { json: { reason: 'Unexpected access pattern' } });
    expect(denied.body).toMatchObject({
      status: 'denied',
      decisions: [{ note: 'Unexpected access pattern' }],
    });
    expect((await api.request('GET', `/approvals/${id}`)).body.status).toBe('denied');
    expectError(await api.request('GET', '/approvals/apr_unknown'), 404, 'not_found');
  });

  it('serves the audit trail with successes and refusals, filtered and paged', async () => {
    const w = await ctx.world();
    const api = await seed(w);
    await api.request('GET', `/secrets/${enc('production/openai/api-key')}`, {
      headers: { 'user-agent': 'agentsecretstore-python/1.0.0' },
    });
    // A made-up credential is refused before the vault: audited in aggregate (see the edge contract), not here.
    await w.api('ass_live_unknown').request('GET', `/secrets/${enc('production/openai/api-key')}`);
    await api.request('GET', `/secrets/${enc('production/nothing-here')}`);
    const reads = await api.request('GET', '/audit?namespace=production&type=secret.read&limit=100');
    expect(reads.status).toBe(200);
    const page = expectWire(auditPageWire, reads);
    expect(page.events).toHaveLength(2);
    expect(page.events[0]).toMatchObject({ success: false, error: 'not_found', path: 'production/nothing-here' });
    expect(page.events[1]).toMatchObject({
      type: 'secret.read',
      path: 'production/openai/api-key',
      actor: expect.stringMatching(/^key:key_/),
      actor_description: 'test admin',
      ip: '127.0.0.1',
      user_agent: 'agentsecretstore-python/1.0.0',
      success: true,
    });
    const first = await api.request('GET', '/audit?limit=1&order=asc');
    const second = await api.request('GET', `/audit?limit=1&order=asc&cursor=${first.body.next_cursor}`);
    expect(second.body.events[0].id).not.toBe(first.body.events[0].id);
    expect(JSON.stringify(page)).not.toContain('sk-openai');
  });

  it('lets the host authenticate its own users, and falls back to the Bearer credential', async () => {
    const alice: Principal = { kind: 'user', id: 'alice', tenant: 'default', roles: ['approver'] };
    const w = await ctx.world({
      handler: {
        authenticate: (request: unknown) => {
          const header = headerOf(request, 'x-session');
          return header === 'alice-session' ? alice : null;
        },
      },
    });
    const api = await seed(w);
    const id = (
      await api.request('POST', '/tokens', { json: { scope: 'secrets:read:production/postgres/*' } })
    ).body.approval_request_id;
    const session = w.api(null);
    const approved = await session.request('POST', `/approvals/${id}/approve`, {
      json: { comment: 'ok' },
      headers: { 'x-session': 'alice-session' },
    });
    expect(approved.body).toMatchObject({ status: 'approved', decisions: [{ by: 'user:alice' }] });
    expectError(await session.request('GET', `/approvals/${id}`), 401, 'unauthorized');
  });

  it('counts a token tree against its root\'s rate-limit bucket: children get no fresh allowance', async () => {
    const w = await ctx.world({ handler: { rateLimiter: memoryRateLimiter({ limit: 6, windowSeconds: 60 }) } });
    const api = await seed(w);
    const path = `/secrets/${enc('production/openai/api-key')}`;
    const mint = async (by: ReturnType<World['api']>) =>
      (await by.request('POST', '/tokens', { json: { scope: 'secrets:read:production/openai/*' } })).body.value as string;
    const root = w.api(await mint(api));
    expect((await root.request('GET', path)).headers.get('x-ratelimit-remaining')).toBe('5');
    const child = w.api(await mint(root)); // 4 left
    const grandchild = w.api(await mint(child)); // 3 left
    const seen = [];
    for (const holder of [child, grandchild, root]) seen.push((await holder.request('GET', path)).headers.get('x-ratelimit-remaining'));
    expect(seen).toEqual(['2', '1', '0']);
    for (const holder of [grandchild, child, root]) expectError(await holder.request('GET', path), 429, 'rate_limited');
    // Another tree, and the admin key, have buckets of their own.
    const other = w.api(await mint(api));
    expect((await other.request('GET', path)).status).toBe(200);
  });

  it('records the socket address, and X-Forwarded-For only behind trustProxy', async () => {
    const plain = await ctx.world();
    const api = await seed(plain);
    const spoofed = { headers: { 'x-forwarded-for': '10.0.1.50' } };
    await api.request('GET', `/secrets/${enc('production/openai/api-key')}`, spoofed);
    const event = (await api.request('GET', '/audit?type=secret.read&limit=1')).body.events[0];
    expect(event.ip).toBe('127.0.0.1');
    // A token bound to 10.0.1.50 is refused from here, whatever the header claims.
    const bound = (
      await api.request('POST', '/tokens', {
        json: { scope: 'secrets:read:production/openai/*', allowed_ips: ['10.0.1.50'] },
      })
    ).body.value;
    expectError(
      await plain.api(bound).request('GET', `/secrets/${enc('production/openai/api-key')}`, spoofed),
      403,
      'permission_denied',
    );

    const proxied = await ctx.world({ handler: { trustProxy: true } });
    const behind = await seed(proxied);
    const forwarded = { headers: { 'x-forwarded-for': '203.0.113.9, 10.0.1.50' } };
    const token = (
      await behind.request('POST', '/tokens', {
        json: { scope: 'secrets:read:production/openai/*', allowed_ips: ['10.0.1.0/24'] },
      })
    ).body.value;
    const read = await proxied
      .api(token)
      .request('GET', `/secrets/${enc('production/openai/api-key')}`, forwarded);
    expect(read.status).toBe(200);
    const events = (await behind.request('GET', '/audit?type=secret.read&limit=1')).body.events;
    expect(events[0].ip).toBe('10.0.1.50');
  });
}

/** A header from whatever request the binding hands `authenticate` (fetch Request, Express req, Koa ctx). */
function headerOf(request: unknown, name: string): string | undefined {
  if (request instanceof Request) return request.headers.get(name) ?? undefined;
  const node =
    (request as { req?: { headers: Record<string, unknown> }; headers?: Record<string, unknown> }).req
    ?? (request as { headers: Record<string, unknown> });
  const value = node.headers?.[name];
  return typeof value === 'string' ? value : undefined;
}

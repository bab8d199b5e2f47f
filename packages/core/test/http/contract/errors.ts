/** Refusals of the HTTP layer itself, internal failures, rate limits and the OpenAPI document. */
import { request as httpRequest } from 'node:http';
import { compileErrors, validate } from '@readme/openapi-parser';
import { expect, it } from 'vitest';
import type { StorageAdapter } from '../../../src/contracts/storage';
import { AgentVaultIntegrityError, AgentVaultUnavailableError } from '../../../src/errors';
import { memoryRateLimiter } from '../../../src/http/rate-limit/memory';
import { enc, type Reply } from '../support/world';
import { type ContractContext, expectError } from './context';

/** Storage whose secret reads fail with `error` while `failing` is set. */
function failingReads(error: () => Error) {
  const state = { failing: false };
  const wrap = (storage: StorageAdapter): StorageAdapter =>
    new Proxy(storage, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property === 'readSecret')
          return (...args: unknown[]) => {
            if (state.failing) return Promise.reject(error());
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  return { state, wrap };
}

/**
 * POST `chunks` with Transfer-Encoding: chunked and no Content-Length, so the server cannot refuse
 * on the header and has to count while it reads. Each chunk is its own write.
 */
function postChunked(url: string, credential: string, chunks: string[]): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'POST',
      headers: {
        'authorization': `Bearer ${credential}`,
        'content-type': 'application/json',
        'transfer-encoding': 'chunked',
      },
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers))
          if (value !== undefined) for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
        const text = Buffer.concat(parts).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers, text, body: text === '' ? null : JSON.parse(text) });
      });
      res.on('error', reject);
    });
    // Once the answer is in, the server may drop the connection while we still write: not a failure.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    expect(req.getHeader('content-length')).toBeUndefined();
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

export function errorContract(ctx: ContractContext): void {
  it('counts a chunked body with no Content-Length: 413 past the limit, nothing stored; read in full under it', async () => {
    const w = await ctx.world({ handler: { bodyLimitBytes: 1024 } });
    const api = w.api(w.admin);
    const body = (path: string, valueBytes: number) => JSON.stringify({ path, value: 'x'.repeat(valueBytes) });
    const split = (text: string, size: number) =>
      Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));

    const over = body('chunked/big', 4096);
    const big = await postChunked(`${w.server.url}/secrets`, w.admin, split(over, 512));
    expectError(big, 413, 'payload_too_large');
    expectError(await api.request('GET', `/secrets/${enc('chunked/big')}`), 404, 'not_found');
    expect((await w.vault.listSecrets()).items).toEqual([]);

    const under = body('chunked/small', 700);
    expect(under.length).toBeLessThan(1024);
    const small = await postChunked(`${w.server.url}/secrets`, w.admin, split(under, 100));
    expect(small.status).toBe(201);
    const read = await api.request('GET', `/secrets/${enc('chunked/small')}`);
    expect(read.status).toBe(200);
    expect(read.body.value).toBe('x'.repeat(700));
  });

  it('refuses malformed requests in the documented shape: 400, 401, 404, 413, 422', async () => {
    const w = await ctx.world({ handler: { bodyLimitBytes: 1024 } });
    const api = w.api(w.admin);
    expectError(
      await api.request('POST', '/secrets', { raw: '{"path": "a", ', headers: json }),
      400,
      'invalid_request',
    );
    expectError(
      await api.request('POST', '/secrets', {
        raw: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
        headers: json,
      }),
      400,
      'invalid_request',
    );
    const form = await api.request('POST', '/secrets', {
      raw: 'path=a&value=b',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(expectError(form, 400, 'invalid_request').message).toContain('application/json');
    expectError(await api.request('GET', '/secrets/bad%ZZpath'), 400, 'invalid_request');

    const invalid = expectError(
      await api.request('POST', '/tokens', {
        json: { scope: 'secrets:read:production/*', ttl_seconds: -5, allowed_ips: 'x', colour: 'red' },
      }),
      422,
      'validation_error',
    );
    expect((invalid.issues as { field: string }[]).map((issue) => issue.field).sort()).toEqual([
      'allowed_ips',
      'colour',
      'ttl_seconds',
    ]);
    // A rule only the vault knows (the configured maximum TTL) names the wire field too.
    const tooLong = expectError(
      await api.request('POST', '/tokens', {
        json: { scope: 'secrets:read:x/*', ttl_seconds: 400 * 86_400 },
      }),
      422,
      'validation_error',
    );
    expect(tooLong.issues).toEqual([
      { path: ['ttl_seconds'], field: 'ttl_seconds', message: expect.any(String) },
    ]);
    // Decoded once: a double-encoded slash stays a literal "%2F", which is not a valid path.
    expectError(await api.request('GET', `/secrets/${enc(enc('a/b'))}`), 422, 'validation_error');
    expectError(await api.request('GET', '/secrets?limit=5000'), 422, 'validation_error');
    expectError(await api.request('GET', '/secrets?limit=1&limit=2'), 422, 'validation_error');

    const big = await api.request('POST', '/secrets', { json: { path: 'a/b', value: 'x'.repeat(2048) } });
    expectError(big, 413, 'payload_too_large');

    for (const [method, path] of [
      ['GET', '/nope'],
      ['PATCH', `/secrets/${enc('a/b')}`],
      ['GET', '/secrets/production/openai/api-key'],
      ['POST', '/secrets/a/rotate/extra'],
    ] as const) {
      const reply = await api.request(method, path);
      expectError(reply, 404, 'not_found');
      expect(reply.headers.get('x-ratelimit-limit')).not.toBeNull();
    }
  });

  it('answers 401 without a credential, with a malformed one, and with an unknown one', async () => {
    const w = await ctx.world();
    const none = await w.api(null).request('GET', `/secrets/${enc('a/b')}`);
    expectError(none, 401, 'unauthorized');
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="agentvault"');
    expect(none.headers.get('x-ratelimit-remaining')).not.toBeNull();
    expectError(
      await w.api(null).request('GET', '/secrets', { headers: { authorization: 'Basic dXNlcjpwYXNz' } }),
      401,
      'unauthorized',
    );
    expectError(
      await w
        .api(null)
        .request('GET', '/secrets', { headers: { authorization: `Bearer ${'a'.repeat(600)}` } }),
      401,
      'unauthorized',
    );
    expectError(await w.api('ass_live_not-a-key').request('GET', '/secrets'), 401, 'unauthorized');
    expectError(await w.api('something-else').request('GET', '/secrets'), 401, 'unauthorized');
  });

  it('answers a generic 500 for an integrity failure and logs it without the value', async () => {
    const reads = failingReads(
      () => new AgentVaultIntegrityError('ciphertext of default/a/b v1 failed authentication'),
    );
    const w = await ctx.world({ wrapStorage: reads.wrap });
    const api = w.api(w.admin);
    await api.request('POST', '/secrets', { json: { path: 'a/b', value: 'sk-very-secret' } });
    reads.state.failing = true;
    const reply = await api.request('GET', `/secrets/${enc('a/b')}`);
    const error = expectError(reply, 500, 'internal_error');
    expect(error.message).not.toContain('ciphertext');
    expect(reply.text).not.toMatch(/at .*\.ts|stack/);
    expect(w.logs).toEqual([
      expect.objectContaining({
        level: 'error',
        fields: expect.objectContaining({ code: 'integrity_error' }),
      }),
    ]);
    expect(JSON.stringify(w.logs)).not.toContain('sk-very-secret');
  });

  it('answers 503 with Retry-After when storage is unavailable', async () => {
    const reads = failingReads(() => new AgentVaultUnavailableError('memory: connection refused'));
    const w = await ctx.world({ wrapStorage: reads.wrap, handler: { unavailableRetryAfterSeconds: 7 } });
    const api = w.api(w.admin);
    await api.request('POST', '/secrets', { json: { path: 'a/b', value: 'v' } });
    reads.state.failing = true;
    const reply = await api.request('GET', `/secrets/${enc('a/b')}`);
    expectError(reply, 503, 'unavailable');
    expect(reply.headers.get('retry-after')).toBe('7');
  });

  it('limits each credential to its bucket: 429 with Retry-After, headers on every response', async () => {
    const w = await ctx.world({
      handler: { rateLimiter: memoryRateLimiter({ limit: 3, windowSeconds: 30 }) },
    });
    const admin = w.api(w.admin);
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const reply = await admin.request('GET', '/secrets');
      expect(reply.status).toBe(200);
      seen.push(reply.headers.get('x-ratelimit-remaining')!);
      expect(reply.headers.get('x-ratelimit-limit')).toBe('3');
    }
    expect(seen).toEqual(['2', '1', '0']);
    const limited = await admin.request('GET', '/secrets');
    const error = expectError(limited, 429, 'rate_limited');
    expect(limited.headers.get('retry-after')).toBe('10');
    expect(error.retry_after).toBe(10);
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBe(Math.ceil((w.clock.now() + 30_000) / 1000));
    // Another credential has its own bucket; the limited one refills with time.
    expect((await w.api(w.approver).request('GET', '/approvals')).status).toBe(200);
    w.clock.advanceSeconds(10);
    expect((await admin.request('GET', '/secrets')).status).toBe(200);
  });

  it('serves its OpenAPI 3.1 document without a credential', async () => {
    const w = await ctx.world();
    const reply = await w.api(null).request('GET', '/openapi.json');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ openapi: '3.1.0', servers: [{ url: '/v1' }] });
    const result = await validate(reply.body);
    expect(result.valid ? [] : compileErrors(result)).toEqual([]);
  });
}

const json = { 'content-type': 'application/json' };

/**
 * Floods and refusals at the edge (issue 19, findings 3 and 7): failed authentications are limited
 * per client address before any credential lookup, made-up credentials create no buckets, and
 * refusals raised before the vault are audited in aggregate — one event per address and window.
 */
import { randomBytes } from 'node:crypto';
import { expect, it, vi } from 'vitest';
import type { AuditEventView as AuditEvent } from '../../../src/vault/views';
import type { StorageAdapter } from '../../../src/contracts/storage';
import { memoryRateLimiter } from '../../../src/http/rate-limit/memory';
import { enc, type World } from '../support/world';
import { type ContractContext, expectError } from './context';

const randomToken = () => `ast_tok_${randomBytes(24).toString('base64url')}`;

/** Storage that counts credential lookups (the work a flood must not cause). */
function countingLookups() {
  const counts = { lookups: 0 };
  const wrap = (storage: StorageAdapter): StorageAdapter =>
    new Proxy(storage, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        if (property === 'findCredential')
          return (...args: unknown[]) => {
            counts.lookups += 1;
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        return value.bind(target);
      },
    });
  return { counts, wrap };
}

/** Every audit event of the default tenant, oldest first, but for the reads of the trail this makes. */
async function allEvents(w: World): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let cursor: string | null = null;
  do {
    const page = await w.vault.queryAudit({ order: 'asc', limit: 1000, ...(cursor ? { cursor } : {}) });
    events.push(...page.events.filter((event) => event.type !== 'audit.read'));
    cursor = page.nextCursor;
  } while (cursor);
  return events;
}

/** In batches of `concurrency`, so the flood is bounded. */
async function flood<T>(count: number, concurrency: number, one: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; start < count; start += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, count - start) }, (_, i) => one(start + i));
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

const aggregates = (events: AuditEvent[]) =>
  events.filter((event) => event.type === 'auth.failed' || event.type === 'request.refused');

/** End the window: advance the clock and make any request, which writes the ended window's events. */
async function endWindow(w: World, expected: number): Promise<AuditEvent[]> {
  w.clock.advance(61_000);
  await w.api(null).request('GET', '/openapi.json');
  let found: AuditEvent[] = [];
  await vi.waitFor(async () => {
    found = aggregates(await allEvents(w));
    expect(found.length).toBeGreaterThanOrEqual(expected);
  });
  return found;
}

export function edgeContract(ctx: ContractContext): void {
  it('limits a random-credential flood per address before any lookup, and audits it as one event per window', async () => {
    const storage = countingLookups();
    const limiter = memoryRateLimiter();
    const w = await ctx.world({ wrapStorage: storage.wrap, handler: { rateLimiter: limiter } });
    const before = (await allEvents(w)).length;
    const lookupsBefore = storage.counts.lookups;
    const statuses = await flood(400, 20, async () => {
      const reply = await w.api(randomToken()).request('GET', `/secrets/${enc('production/db')}`);
      if (reply.status === 429) {
        expect(Number(reply.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(reply.headers.get('x-ratelimit-limit')).toBe('100');
      }
      return reply.status;
    });
    const unauthorized = statuses.filter((s) => s === 401).length;
    const limited = statuses.filter((s) => s === 429).length;
    expect(unauthorized + limited).toBe(400);
    // The address's budget (100 failures a minute) plus at most the requests already in flight.
    expect(unauthorized).toBeGreaterThanOrEqual(100);
    expect(unauthorized).toBeLessThanOrEqual(100 + 20);
    // Each refused request looked up nothing, except those already past the check when the budget ran out.
    const failures = storage.counts.lookups - lookupsBefore;
    expect(failures).toBeGreaterThanOrEqual(unauthorized);
    expect(failures).toBeLessThanOrEqual(unauthorized + 20);
    // No bucket per made-up credential; no event per refused request.
    expect(limiter.size).toBe(0);
    expect((await allEvents(w)).length).toBe(before);

    // While the address is blocked, even a valid credential from it waits (it cannot be told apart before a lookup).
    expectError(await w.api(w.admin).request('GET', '/secrets'), 429, 'rate_limited');

    const events = await endWindow(w, 2);
    expect(events).toHaveLength(2);
    const failed = events.find((event) => event.type === 'auth.failed')!;
    expect(failed).toMatchObject({
      success: false,
      error: 'unauthorized',
      actor: 'anonymous',
      ip: '127.0.0.1',
      path: null,
      // Every failed authentication; those that found the budget spent were answered 429.
      details: { count: failures, count_unauthorized: unauthorized, window_seconds: 60 },
    });
    const refused = events.find((event) => event.type === 'request.refused')!;
    expect(refused).toMatchObject({
      ip: '127.0.0.1',
      error: 'rate_limited',
      // The rest of the 429s, refused before any lookup, and the admin's while the address was blocked.
      details: { count: limited - (failures - unauthorized) + 1 },
    });
    expect(JSON.stringify(events)).not.toContain('ast_tok_');

    // A minute later the budget has refilled: a valid credential works, and only now gets its own bucket.
    const ok = await w.api(w.admin).request('GET', '/secrets');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-ratelimit-limit')).toBe('1000');
    expect(limiter.size).toBe(2); // the admin key's bucket, and the address bucket of the credential-less request
  });

  it('counts revoked and malformed credentials against the address too', async () => {
    const w = await ctx.world({ handler: { failedAuthLimiter: memoryRateLimiter({ limit: 3, windowSeconds: 60 }) } });
    const key = await w.vault.createAgentKey({ roles: ['admin'] });
    await w.vault.revokeAgentKey(key.id);
    const replies = [
      await w.api(key.value).request('GET', '/secrets'),
      await w.api(null).request('GET', '/secrets', { headers: { authorization: 'Basic dXNlcjpwYXNz' } }),
      await w.api('ast_tok_unknown').request('GET', '/secrets'),
    ];
    for (const reply of replies) {
      expectError(reply, 401, 'unauthorized');
      expect(reply.headers.get('x-ratelimit-limit')).toBe('3');
    }
    expectError(await w.api(randomToken()).request('GET', '/secrets'), 429, 'rate_limited');
    // Other addresses are not affected.
    const elsewhere = await ctx.world({
      handler: { trustProxy: true, failedAuthLimiter: memoryRateLimiter({ limit: 1, windowSeconds: 60 }) },
    });
    const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });
    expectError(await elsewhere.api(randomToken()).request('GET', '/secrets', from('203.0.113.1')), 401, 'unauthorized');
    expectError(await elsewhere.api(randomToken()).request('GET', '/secrets', from('203.0.113.1')), 429, 'rate_limited');
    expectError(await elsewhere.api(randomToken()).request('GET', '/secrets', from('203.0.113.2')), 401, 'unauthorized');
    expect((await elsewhere.api(elsewhere.admin).request('GET', '/secrets', from('203.0.113.3'))).status).toBe(200);
    // IPv6 by /64: one host holds the whole /64, so its addresses share one budget.
    expectError(await elsewhere.api(randomToken()).request('GET', '/secrets', from('2001:db8:1:2::1')), 401, 'unauthorized');
    expectError(await elsewhere.api(randomToken()).request('GET', '/secrets', from('2001:db8:1:2:ffff::9')), 429, 'rate_limited');
    expectError(await elsewhere.api(randomToken()).request('GET', '/secrets', from('2001:db8:1:3::1')), 401, 'unauthorized');
  });

  it('keeps the aggregate audit bounded under a flood from many distinct addresses', async () => {
    const w = await ctx.world({ handler: { trustProxy: true, refusalAudit: { maxAddresses: 5 } } });
    await flood(30, 10, (i) =>
      w.api(randomToken()).request('GET', '/secrets', { headers: { 'x-forwarded-for': `198.51.100.${i + 1}` } }),
    );
    const events = await endWindow(w, 6);
    const failed = events.filter((event) => event.type === 'auth.failed');
    expect(failed).toHaveLength(6); // five addresses, and one overflow entry for the other 25
    expect(failed.reduce((sum, event) => sum + Number(event.details.count), 0)).toBe(30);
    const overflow = failed.find((event) => event.details.overflow === true)!;
    expect(overflow).toMatchObject({ ip: null, details: { count: 25 } });
  });

  it('audits refusals raised before the vault in aggregate, with counts by reason', async () => {
    const w = await ctx.world({
      handler: { bodyLimitBytes: 1024, rateLimiter: memoryRateLimiter({ limit: 12, windowSeconds: 60 }) },
    });
    const api = w.api(w.admin);
    const before = (await allEvents(w)).length;
    expectError(
      await api.request('POST', '/secrets', { raw: '{oops', headers: { 'content-type': 'application/json' } }),
      400,
      'invalid_request',
    );
    expectError(
      await api.request('POST', '/secrets', { raw: '{"path":"a/b","value":"\\udc00"', headers: { 'content-type': 'application/json' } }),
      400,
      'invalid_request',
    );
    expectError(await api.request('POST', '/secrets', { json: { path: 'a/b', value: 'v', colour: 'red' } }), 422, 'validation_error');
    expectError(await api.request('POST', '/secrets', { json: { path: 'a/b', value: 'x'.repeat(4096) } }), 413, 'payload_too_large');
    expectError(await api.request('GET', '/nope'), 404, 'not_found');
    for (let i = 0; i < 7; i++) await api.request('GET', '/secrets');
    expectError(await api.request('GET', '/secrets'), 429, 'rate_limited');
    expectError(await api.request('GET', '/secrets'), 429, 'rate_limited');
    // Nothing of the refusals reached the trail one by one (the seven list calls did).
    const between = await allEvents(w);
    expect(between.slice(before).map((event) => event.type)).toEqual(Array(7).fill('secret.list'));
    expect(between.slice(before).every((event) => event.type === 'secret.list' && event.success)).toBe(true);

    const events = await endWindow(w, 1);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'request.refused',
      success: false,
      ip: '127.0.0.1',
      error: 'invalid_request',
      details: {
        count: 7,
        count_invalid_request: 2,
        count_validation_error: 1,
        count_payload_too_large: 1,
        count_not_found: 1,
        count_rate_limited: 2,
      },
    });
  });
}

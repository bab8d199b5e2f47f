/**
 * The PostgreSQL side of the records half of the contract, on the real server: what the shared
 * suite cannot see (revs and conflicts under two pools, all-or-nothing at the row level, gapless
 * per-tenant numbering while appends race and some roll back).
 */
import type { AuditEventInput } from '@agentvault/core';
import { AgentVaultConflictError } from '@agentvault/core/errors';
import type pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { describeRequiring } from '@agentvault/core/testing';
import { type PostgresAdapter, postgresAdapter } from '../src/index';
import { dropSchema, testPool, uniqueSchema } from '../src/testing';
import { event, secret, token, uniqueTenant, version } from './support/records';

describeRequiring(inject('pgProblem'), 'postgres records, commit and audit numbering', () => {
  const schema = uniqueSchema('records');
  let pool: pg.Pool;
  let otherPool: pg.Pool;
  let storage: PostgresAdapter;
  let other: PostgresAdapter;

  beforeAll(async () => {
    pool = testPool();
    otherPool = testPool();
    storage = postgresAdapter({ pool }, { schema });
    other = postgresAdapter({ pool: otherPool }, { schema });
    await storage.migrate();
  });
  afterAll(async () => {
    await dropSchema(pool, schema);
    await Promise.all([pool.end(), otherPool.end()]);
  });

  const count = async (table: string, tenant: string) =>
    Number((await pool.query(`SELECT count(*) AS n FROM "${schema}".${table} WHERE tenant = $1`, [tenant])).rows[0].n);

  it('stores every kind at rev 1, bumps revs, and reads mixed keys back in order in one statement', async () => {
    const tenant = uniqueTenant();
    const s = secret(tenant, 'a/b', { tags: { team: 'x' }, rotation: { everySeconds: 60, gracePeriodSeconds: 5, nextAt: 9, failures: 0 } });
    const v = version(tenant, 'a/b', 1);
    const tk = token(tenant, 'tok_1');
    const seal = { tenant, id: 'seal', wrappedKey: { keyId: 'k', ciphertext: new Uint8Array([0, 1, 255]) }, checkpoints: 0, sealedSeq: 0, lastMac: '' };
    const revs = await storage.commit({
      writes: [
        { op: 'put', kind: 'secret', record: s, expect: 'absent' },
        { op: 'put', kind: 'version', record: v, expect: 'absent' },
        { op: 'put', kind: 'token', record: tk, expect: 'absent' },
        { op: 'put', kind: 'audit_seal', record: seal, expect: 'absent' },
      ],
      events: [event(tenant, 'a/b')],
    });
    expect(revs).toEqual([1, 1, 1, 1]);
    const got = await storage.getRecords([
      { kind: 'token', tenant, id: 'tok_1' },
      { kind: 'secret', tenant, path: 'missing' },
      { kind: 'version', tenant, path: 'a/b', version: 1 },
      { kind: 'audit_seal', tenant, id: 'seal' },
      { kind: 'secret', tenant, path: 'a/b' },
    ]);
    expect(got).toEqual([
      { kind: 'token', record: tk, rev: 1 },
      null,
      { kind: 'version', record: v, rev: 1 },
      { kind: 'audit_seal', record: seal, rev: 1 },
      { kind: 'secret', record: s, rev: 1 },
    ]);
    expect(await storage.findCredential(tk.hash)).toEqual({ kind: 'token', record: tk, rev: 1 });
    expect(await storage.commit({ writes: [{ op: 'put', kind: 'token', record: { ...tk, revokedAt: 5 }, expect: 1 }], events: [] }))
      .toEqual([2]);
  });

  it('changes nothing when any condition fails, and names the first failing write', async () => {
    const tenant = uniqueTenant();
    await storage.commit({ writes: [{ op: 'put', kind: 'token', record: token(tenant, 'tok_a'), expect: 'absent' }], events: [event(tenant, null)] });
    const before = await count('audit_events', tenant);
    const attempt = storage.commit({
      writes: [
        { op: 'put', kind: 'secret', record: secret(tenant, 'x'), expect: 'absent' },
        { op: 'check', key: { kind: 'token', tenant, id: 'tok_a' }, expect: 1 },
        { op: 'put', kind: 'token', record: token(tenant, 'tok_a'), expect: 7 },
      ],
      events: [event(tenant, 'x')],
    });
    await expect(attempt).rejects.toBeInstanceOf(AgentVaultConflictError);
    await expect(attempt).rejects.toMatchObject({ details: { conflict: { index: 2, key: { kind: 'token', tenant, id: 'tok_a' } } } });
    expect(await storage.getRecords([{ kind: 'secret', tenant, path: 'x' }])).toEqual([null]);
    expect(await count('audit_events', tenant)).toBe(before);
    // A credential hash is unique across tokens and agent keys.
    const taken = token(tenant, 'tok_b');
    await storage.commit({ writes: [{ op: 'put', kind: 'token', record: taken, expect: 'absent' }], events: [] });
    const key = { id: 'key_1', tenant, hash: taken.hash, description: null, roles: ['admin' as const], createdAt: 1, createdBy: 'app:t', revokedAt: null };
    await expect(storage.commit({ writes: [{ op: 'put', kind: 'agent_key', record: key, expect: 'absent' }], events: [] }))
      .rejects.toMatchObject({ details: { conflict: { index: 0 } } });
  });

  it('lets one of many racing commits on two pools win each revision', async () => {
    const tenant = uniqueTenant();
    const tk = token(tenant, 'tok_race', { maxUses: 100, usesRemaining: 100 });
    await storage.commit({ writes: [{ op: 'put', kind: 'token', record: tk, expect: 'absent' }], events: [] });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? other : storage).commit({
          writes: [{ op: 'put', kind: 'token', record: { ...tk, usesRemaining: 99 - i }, expect: 1 }],
          events: [event(tenant, null)],
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await count('audit_events', tenant)).toBe(1);
  });

  it('numbers events 1..n per tenant with no gap while reads, commits and rolled-back commits race', async () => {
    const tenant = uniqueTenant();
    const otherTenant = uniqueTenant();
    await storage.writeVersion({
      mode: 'create', secret: secret(tenant, 'hot'), version: version(tenant, 'hot', 1), expectedCurrentVersion: 0,
      patch: {}, retirePreviousAt: null, event: event(tenant, 'hot'),
    });
    const work = Array.from({ length: 60 }, (_, i) => {
      const adapter = i % 2 ? other : storage;
      if (i % 3 === 0) {
        return adapter.readSecret({ tenant, path: 'hot', version: null, now: 2_000, maxTier: null, token: null, event: event(tenant, 'hot') });
      }
      if (i % 3 === 1) {
        return Promise.all([
          adapter.commit({ writes: [], events: [event(tenant, null), event(tenant, null)] }),
          adapter.commit({ writes: [], events: [event(otherTenant, null)] }),
        ]);
      }
      // Fails on its condition: its events must give their numbers back.
      return adapter.commit({ writes: [{ op: 'check', key: { kind: 'token', tenant, id: 'none' }, expect: 1 }], events: [event(tenant, null)] });
    });
    const settled = await Promise.allSettled(work);
    expect(settled.filter((r) => r.status === 'rejected')).toHaveLength(20);
    const events = await storage.readAudit({ tenant, afterSeq: 0, limit: 1000 });
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 1 + 20 + 40 }, (_, i) => i + 1));
    const others = await storage.readAudit({ tenant: otherTenant, afterSeq: 0, limit: 1000 });
    expect(others.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('writes versions with check-and-set: one winner per number, stage keeps current, append retires the replaced one', async () => {
    const tenant = uniqueTenant();
    const write = (adapter: PostgresAdapter, mode: 'append' | 'stage', n: number, expected: number, ev: AuditEventInput = event(tenant, 'p')) =>
      adapter.writeVersion({ mode, version: version(tenant, 'p', n), expectedCurrentVersion: expected, patch: { description: `v${n}` }, retirePreviousAt: 50_000, event: ev });
    await storage.writeVersion({ mode: 'create', secret: secret(tenant, 'p'), version: version(tenant, 'p', 1), expectedCurrentVersion: 0, patch: {}, retirePreviousAt: null, event: event(tenant, 'p') });
    await expect(storage.writeVersion({ mode: 'create', secret: secret(tenant, 'p'), version: version(tenant, 'p', 1), expectedCurrentVersion: 0, patch: {}, retirePreviousAt: null, event: event(tenant, 'p') }))
      .rejects.toBeInstanceOf(AgentVaultConflictError);
    const racing = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => write(i % 2 ? other : storage, 'append', 2, 1)));
    expect(racing.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const staged = await write(storage, 'stage', 3, 2);
    expect(staged.record).toMatchObject({ currentVersion: 2, latestVersion: 3, pendingVersion: 3, description: 'v2' });
    await expect(write(storage, 'stage', 4, 2)).rejects.toBeInstanceOf(AgentVaultConflictError);
    const [v1] = await storage.getRecords([{ kind: 'version', tenant, path: 'p', version: 1 }]);
    expect(v1).toMatchObject({ rev: 2, record: { retiresAt: 50_000 } });
    expect(await count('audit_events', tenant)).toBe(3);
  });

  it('lists records by an indexed filter with a keyset', async () => {
    const tenant = uniqueTenant();
    const writes = ['tok_1', 'tok_2', 'tok_3', 'tok_4'].map((id, i) => ({
      op: 'put' as const, kind: 'token' as const, record: token(tenant, id, { parentId: i % 2 ? 'tok_p' : null }), expect: 'absent' as const,
    }));
    await storage.commit({ writes, events: [] });
    const children = await storage.listRecords({ kind: 'token', tenant, afterId: 'tok_2', limit: 10, where: { parentId: 'tok_p' } });
    expect(children.map((c) => c.record.id)).toEqual(['tok_4']);
    const all = await storage.listRecords({ kind: 'token', tenant, afterId: null, limit: 3 });
    expect(all.map((c) => c.record.id)).toEqual(['tok_1', 'tok_2', 'tok_3']);
  });
});

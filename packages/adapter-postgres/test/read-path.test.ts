/**
 * The audited read's Postgres-specific promises: one statement, exact token accounting across
 * pools, no lock on unlimited tokens, and a touch of `accessedAt` that never waits on a writer or
 * on another reader.
 */
import type { ReadResult } from '@agentvault/core';
import type pg from 'pg';
import { describeRequiring } from '@agentvault/core/testing';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { type PostgresAdapter, type PostgresPool, postgresAdapter } from '../src/index';
import { draft, settledWithin, vaultOn } from './support/fixtures';
import { dropSchema, testPool, uniqueSchema } from '../src/testing';

describeRequiring(inject('pgProblem'), 'postgres read path', () => {
  const schema = uniqueSchema('read');
  let pool: pg.Pool;
  let otherPool: pg.Pool;
  let admin: pg.Pool;
  let storage: PostgresAdapter;
  let other: PostgresAdapter;

  beforeAll(async () => {
    pool = testPool();
    otherPool = testPool();
    admin = testPool({ max: 2 });
    storage = postgresAdapter({ pool }, { schema });
    other = postgresAdapter({ pool: otherPool }, { schema });
    await storage.migrate();
  });
  afterAll(async () => {
    await dropSchema(admin, schema);
    await Promise.all([pool.end(), otherPool.end(), admin.end()]);
  });

  const read = (
    adapter: PostgresAdapter,
    tenant: string,
    path: string,
    now: number,
    token: string | null,
  ) => {
    const event = draft(tenant, path, now);
    return adapter
      .readSecret({
        tenant,
        path,
        version: null,
        now,
        maxTier: null,
        token: token === null ? null : { id: token },
        event,
      })
      .then((result) => ({ result, eventId: event.id }));
  };

  it('serves an audited read in one statement: one pool.query, no client checkout', async () => {
    const calls = { query: 0, connect: 0 };
    const counting: PostgresPool = {
      query: (config) => {
        calls.query++;
        return pool.query(config);
      },
      connect: () => {
        calls.connect++;
        return pool.connect();
      },
    };
    const counted = postgresAdapter({ pool: counting }, { schema });
    const { vault, clock, tenant } = vaultOn(storage);
    await vault.setSecret('one/trip', 'v');
    const token = await vault.requestToken({ scope: 'secrets:read:one/*', maxUses: 5 });
    for (const tokenId of [null, token.id!]) {
      calls.query = 0;
      calls.connect = 0;
      const { result } = await read(counted, tenant, 'one/trip', clock.now(), tokenId);
      expect(result.outcome).toBe('ok');
      expect(calls).toEqual({ query: 1, connect: 0 });
    }
  });

  it('lets exactly k of 40 reads racing on two pools spend a k-use token, and audits what it returned', async () => {
    const { vault, clock, tenant } = vaultOn(storage);
    await vault.setSecret('race/key', 'v');
    const token = await vault.requestToken({ scope: 'secrets:read:race/*', maxUses: 3 });
    const reads = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        read(i % 2 ? other : storage, tenant, 'race/key', clock.now(), token.id!),
      ),
    );
    const outcomes = reads.map((r) => r.result.outcome);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'token_exhausted')).toHaveLength(37);
    expect((await storage.getToken(tenant, token.id!))?.usesRemaining).toBe(0);
    const events = await storage.queryAudit({
      tenant,
      path: 'race/key',
      types: ['secret.read'],
      after: null,
      order: 'asc',
      limit: 100,
    });
    const recorded = new Map(events.map((e) => [e.id, e.success ? 'ok' : e.error]));
    for (const { result, eventId } of reads) expect(recorded.get(eventId)).toBe(result.outcome);
    expect((await vault.verifyAudit()).ok).toBe(true);
  });

  it('never locks an unlimited token, but a limited token read waits for the row', async () => {
    const { vault, clock, tenant } = vaultOn(storage);
    await vault.setSecret('lock/key', 'v');
    const unlimited = await vault.requestToken({ scope: 'secrets:read:lock/*' });
    const limited = await vault.requestToken({ scope: 'secrets:read:lock/*', maxUses: 2 });
    const holder = await admin.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM "${schema}".tokens WHERE id = ANY($1) FOR UPDATE`, [
        [unlimited.id, limited.id],
      ]);
      const free = await settledWithin(read(storage, tenant, 'lock/key', clock.now(), unlimited.id!), 5000);
      expect(free === 'pending' ? free : free.result.outcome).toBe('ok');
      const blocked = read(storage, tenant, 'lock/key', clock.now(), limited.id!);
      expect(await settledWithin(blocked, 300)).toBe('pending');
      await holder.query('COMMIT');
      expect((await blocked).result.outcome).toBe('ok');
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      holder.release();
    }
  });

  it('touches accessedAt without waiting on a writer\'s lock of the secret', async () => {
    const { vault, clock, tenant } = vaultOn(storage);
    await vault.setSecret('touch/key', 'v');
    clock.advance(1000);
    const holder = await admin.connect();
    try {
      await holder.query('BEGIN');
      // What appendVersion / destroySecret hold while they work.
      await holder.query(`SELECT 1 FROM "${schema}".secrets WHERE tenant = $1 AND path = $2 FOR UPDATE`, [
        tenant,
        'touch/key',
      ]);
      const result = await settledWithin(read(storage, tenant, 'touch/key', clock.now(), null), 5000);
      expect(result === 'pending' ? result : result.result.outcome).toBe('ok');
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect((await storage.getSecret(tenant, 'touch/key'))?.accessedAt).toBe(clock.now());
  });

  it('leaves the touch to a concurrent reader instead of waiting for it, and never moves it back', async () => {
    const { vault, clock, tenant } = vaultOn(storage);
    await vault.setSecret('touch/hot', 'v');
    await read(storage, tenant, 'touch/hot', clock.now(), null);
    const first = clock.now();
    clock.advance(1000);
    const holder = await admin.connect();
    try {
      await holder.query('BEGIN');
      // What a concurrent read's touch holds until its statement commits.
      await holder.query(
        `SELECT 1 FROM "${schema}".secret_access WHERE tenant = $1 AND path = $2 FOR UPDATE`,
        [tenant, 'touch/hot'],
      );
      const result = await settledWithin(read(storage, tenant, 'touch/hot', clock.now(), null), 5000);
      expect(result).not.toBe('pending');
      const served = (result as { result: ReadResult }).result;
      expect(served.outcome).toBe('ok');
      if (served.outcome === 'ok') expect(served.secret.accessedAt).toBe(clock.now());
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect((await storage.getSecret(tenant, 'touch/hot'))?.accessedAt).toBe(first);
    await read(storage, tenant, 'touch/hot', clock.now(), null);
    expect((await storage.getSecret(tenant, 'touch/hot'))?.accessedAt).toBe(clock.now());
    await read(storage, tenant, 'touch/hot', first, null);
    expect((await storage.getSecret(tenant, 'touch/hot'))?.accessedAt).toBe(clock.now());
  });
});

/**
 * The audited read's Postgres-specific promises: one statement, exact token accounting across
 * pools, no lock on unlimited tokens, and a touch of `accessedAt` that never waits on a writer or
 * on another reader.
 */
import type { ReadResult, SecretRecord } from '@agentvault/core';
import type pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { describeRequiring } from '@agentvault/core/testing';
import { type PostgresAdapter, type PostgresPool, postgresAdapter } from '../src/index';
import { dropSchema, testPool, uniqueSchema } from '../src/testing';
import { settledWithin } from './support/fixtures';
import { createSecret, event, mintToken, uniqueTenant } from './support/records';

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
    const { success: _s, error: _e, version: _v, ...draft } = event(tenant, path, now);
    return adapter
      .readSecret({ tenant, path, version: null, now, maxTier: null, token: token === null ? null : { id: token }, event: draft })
      .then((result) => ({ result, eventId: draft.id }));
  };

  const accessedAt = async (tenant: string, path: string) => {
    const [stored] = await storage.getRecords([{ kind: 'secret', tenant, path }]);
    return (stored?.record as SecretRecord | undefined)?.accessedAt;
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
    const tenant = uniqueTenant();
    await createSecret(storage, tenant, 'one/trip');
    const token = await mintToken(storage, tenant, 'tok_trip', { maxUses: 5, usesRemaining: 5 });
    for (const tokenId of [null, token.id]) {
      calls.query = 0;
      calls.connect = 0;
      const { result } = await read(counted, tenant, 'one/trip', 2_000, tokenId);
      expect(result.outcome).toBe('ok');
      expect(calls).toEqual({ query: 1, connect: 0 });
    }
  });

  it('lets exactly k of 40 reads racing on two pools spend a k-use token, and audits what it returned', async () => {
    const tenant = uniqueTenant();
    await createSecret(storage, tenant, 'race/key');
    const token = await mintToken(storage, tenant, 'tok_race', { maxUses: 3, usesRemaining: 3 });
    const reads = await Promise.all(
      Array.from({ length: 40 }, (_, i) => read(i % 2 ? other : storage, tenant, 'race/key', 2_000, token.id)),
    );
    const outcomes = reads.map((r) => r.result.outcome);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'token_exhausted')).toHaveLength(37);
    expect((await storage.getRecords([{ kind: 'token', tenant, id: token.id }]))[0]).toMatchObject({
      rev: 4, record: { usesRemaining: 0 },
    });
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
    const trail = await storage.readAudit({ tenant, afterSeq: 0, limit: 100 });
    expect(trail.map((e) => e.seq)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
  });

  it('never locks an unlimited token, but a limited token read waits for the row', async () => {
    const tenant = uniqueTenant();
    await createSecret(storage, tenant, 'lock/key');
    const unlimited = await mintToken(storage, tenant, 'tok_free');
    const limited = await mintToken(storage, tenant, 'tok_limited', { maxUses: 2, usesRemaining: 2 });
    const holder = await admin.connect();
    try {
      await holder.query('BEGIN');
      // What a revoke (a commit putting the token at its rev) holds while it works.
      await holder.query(`SELECT 1 FROM "${schema}".records WHERE kind = 'token' AND id = ANY($1) FOR UPDATE`, [
        [unlimited.id, limited.id],
      ]);
      const free = await settledWithin(read(storage, tenant, 'lock/key', 2_000, unlimited.id), 5000);
      expect(free === 'pending' ? free : free.result.outcome).toBe('ok');
      const blocked = read(storage, tenant, 'lock/key', 2_000, limited.id);
      expect(await settledWithin(blocked, 300)).toBe('pending');
      await holder.query('COMMIT');
      expect((await blocked).result.outcome).toBe('ok');
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      holder.release();
    }
  });

  it('touches accessedAt without waiting on a writer\'s lock of the secret', async () => {
    const tenant = uniqueTenant();
    await createSecret(storage, tenant, 'touch/key');
    const now = 5_000;
    const holder = await admin.connect();
    try {
      await holder.query('BEGIN');
      // What a version write or a commit on the secret holds while it works.
      await holder.query(`SELECT 1 FROM "${schema}".secrets WHERE tenant = $1 AND path = $2 FOR UPDATE`, [
        tenant,
        'touch/key',
      ]);
      const result = await settledWithin(read(storage, tenant, 'touch/key', now, null), 5000);
      expect(result === 'pending' ? result : result.result.outcome).toBe('ok');
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect((await accessedAt(tenant, 'touch/key'))).toBe(now);
  });

  it('leaves the touch to a concurrent reader instead of waiting for it; each later read sets its own time', async () => {
    const tenant = uniqueTenant();
    await createSecret(storage, tenant, 'touch/hot');
    const first = 5_000;
    const later = 6_000;
    await read(storage, tenant, 'touch/hot', first, null);
    const holder = await admin.connect();
    try {
      await holder.query('BEGIN');
      // What a concurrent read's touch holds until its statement commits.
      await holder.query(
        `SELECT 1 FROM "${schema}".secret_access WHERE tenant = $1 AND path = $2 FOR UPDATE`,
        [tenant, 'touch/hot'],
      );
      const result = await settledWithin(read(storage, tenant, 'touch/hot', later, null), 5000);
      expect(result).not.toBe('pending');
      const served = (result as { result: ReadResult }).result;
      expect(served.outcome).toBe('ok');
      if (served.outcome === 'ok') expect(served.secret.accessedAt).toBe(later);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect(await accessedAt(tenant, 'touch/hot')).toBe(first);
    await read(storage, tenant, 'touch/hot', later, null);
    expect(await accessedAt(tenant, 'touch/hot')).toBe(later);
    // The contract's "accessedAt = now": a read with an earlier clock (another instance) sets its own time.
    await read(storage, tenant, 'touch/hot', first, null);
    expect(await accessedAt(tenant, 'touch/hot')).toBe(first);
  });
});

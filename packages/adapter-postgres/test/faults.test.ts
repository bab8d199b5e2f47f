/**
 * Connection loss. The adapter's backend is terminated (pg_terminate_backend) while a call is
 * inside the server: held there by a lock this test owns on the tenant's audit counter, which every
 * audited call takes last. The call must fail as unavailable, leave nothing behind, and the next call must work.
 */
import { AgentVaultUnavailableError } from '@agentvault/core/errors';
import type pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { describeRequiring } from '@agentvault/core/testing';
import { type PostgresAdapter, postgresAdapter } from '../src/index';
import { dropSchema, testPool, uniqueSchema } from '../src/testing';
import { lockWaiters, uniqueAppName, until } from './support/fixtures';
import { createSecret, event, mintToken, secret, uniqueTenant, version } from './support/records';

describeRequiring(inject('pgProblem'), 'postgres faults', () => {
  const schema = uniqueSchema('faults');
  const appName = uniqueAppName('faults');
  let admin: pg.Pool;
  let pool: pg.Pool;
  let storage: PostgresAdapter;

  beforeAll(async () => {
    admin = testPool({ max: 3 });
    pool = testPool({ application_name: appName, max: 4 });
    storage = postgresAdapter({ pool }, { schema });
    await storage.migrate();
  });
  afterAll(async () => {
    await dropSchema(admin, schema);
    await Promise.all([pool.end(), admin.end()]);
  });

  /** Hold the tenant's audit counter, run `call`, kill the backend that queues behind the lock. */
  async function killWhileHeld<T>(tenant: string, call: () => Promise<T>): Promise<unknown> {
    const holder = await admin.connect();
    try {
      await holder.query('BEGIN');
      const { rowCount } = await holder.query(
        `SELECT 1 FROM "${schema}".audit_counters WHERE tenant = $1 FOR UPDATE`,
        [tenant],
      );
      expect(rowCount).toBe(1);
      const outcome = call().then(
        () => new Error('the call succeeded although its connection was killed'),
        (error: unknown) => error,
      );
      let waiting: number[] = [];
      await until(async () => {
        waiting = await lockWaiters(admin, appName);
        return waiting.length === 1;
      }, 'the call to block');
      await admin.query('SELECT pg_terminate_backend($1)', [waiting[0]]);
      return await outcome;
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
  }

  const expectUnavailable = (error: unknown) => {
    expect(error).toBeInstanceOf(AgentVaultUnavailableError);
    expect((error as Error).message).toMatch(/^postgres: /);
    expect((error as Error).cause).toBeDefined();
  };

  const counter = async (tenant: string) =>
    (await admin.query(`SELECT seq FROM "${schema}".audit_counters WHERE tenant = $1`, [tenant])).rows[0]?.seq;

  it('fails an audited read killed mid-statement as unavailable, spends no use, and reads again', async () => {
    const tenant = uniqueTenant();
    await createSecret(storage, tenant, 'kill/read');
    const token = await mintToken(storage, tenant, 'tok_kill', { maxUses: 5, usesRemaining: 5 });
    const keys = [{ kind: 'secret' as const, tenant, path: 'kill/read' }, { kind: 'token' as const, tenant, id: token.id }];
    const before = { records: await storage.getRecords(keys), seq: await counter(tenant) };
    const { success: _s, error: _e, version: _v, ...draft } = event(tenant, 'kill/read', 2_000);
    const read = () =>
      storage.readSecret({ tenant, path: 'kill/read', version: null, now: 2_000, maxTier: null, token: { id: token.id }, event: draft });
    expectUnavailable(await killWhileHeld(tenant, read));
    expect({ records: await storage.getRecords(keys), seq: await counter(tenant) }).toEqual(before);
    const events = await storage.readAudit({ tenant, afterSeq: 0, limit: 10 });
    expect(events.map((e) => e.id)).not.toContain(draft.id);
    expect((await read()).outcome).toBe('ok');
    expect((await storage.getRecords([keys[1]!]))[0]).toMatchObject({ rev: 2, record: { usesRemaining: 4 } });
  });

  it('rolls back a commit killed after its writes, and the same commit then succeeds', async () => {
    const tenant = uniqueTenant();
    await createSecret(storage, tenant, 'kill/seed');
    const seq = await counter(tenant);
    const commit = () =>
      storage.commit({
        writes: [
          { op: 'put', kind: 'secret', record: secret(tenant, 'kill/new'), expect: 'absent' },
          { op: 'put', kind: 'version', record: version(tenant, 'kill/new', 1), expect: 'absent' },
        ],
        events: [event(tenant, 'kill/new')],
      });
    // Both INSERTs have run when the audit append queues on the held counter.
    expectUnavailable(await killWhileHeld(tenant, commit));
    const keys = [{ kind: 'secret' as const, tenant, path: 'kill/new' }, { kind: 'version' as const, tenant, path: 'kill/new', version: 1 }];
    expect(await storage.getRecords(keys)).toEqual([null, null]);
    expect(await counter(tenant)).toBe(seq);
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n FROM "${schema}".secret_access WHERE tenant = $1 AND path = 'kill/new'`,
      [tenant],
    );
    expect(rows[0].n).toBe(0);
    expect(await commit()).toEqual([1, 1]);
  });

  it('discards an idle pooled connection the server killed; the next call works', async () => {
    const tenant = uniqueTenant();
    await createSecret(storage, tenant, 'kill/idle');
    const { rows } = await admin.query(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1`,
      [appName],
    );
    expect(rows[0].n).toBeGreaterThan(0);
    // Every killed idle client reports its error and leaves the pool.
    await until(async () => pool.totalCount === 0, 'the pool to drop its dead clients');
    expect((await storage.getRecords([{ kind: 'secret', tenant, path: 'kill/idle' }]))[0]?.rev).toBe(1);
  });

  it('answers unavailable when the server cannot be reached, through the connectionString pool', async () => {
    const unreachable = postgresAdapter(
      { connectionString: 'postgres://postgres@127.0.0.1:1/test', connectionTimeoutMs: 1000 },
      { schema },
    );
    const key = { kind: 'secret' as const, tenant: 't', path: 'a/b' };
    try {
      expectUnavailable(await unreachable.getRecords([key]).catch((e: unknown) => e));
      expectUnavailable(await unreachable.commit({ writes: [{ op: 'check', key, expect: 'absent' }], events: [] }).catch((e: unknown) => e));
      expectUnavailable(await unreachable.migrate().catch((e: unknown) => e));
    } finally {
      await unreachable.close();
    }
    expectUnavailable(await unreachable.getRecords([key]).catch((e: unknown) => e));
  });
});

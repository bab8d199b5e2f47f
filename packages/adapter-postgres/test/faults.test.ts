/**
 * Connection loss. The adapter's backend is terminated (pg_terminate_backend) while a call is
 * inside the server: held there by a lock this test owns on the audit chain head, which every write
 * takes last. The call must fail as unavailable, leave nothing behind, and the next call must work.
 */
import { AgentVaultUnavailableError } from '@agentvault/core/errors';
import type pg from 'pg';
import { describeRequiring } from '@agentvault/core/testing';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { type PostgresAdapter, postgresAdapter } from '../src/index';
import { draft, lockWaiters, uniqueAppName, until, vaultOn } from './support/fixtures';
import { dropSchema, testPool, uniqueSchema } from '../src/testing';

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

  /** Hold the head of (tenant, chain 0), run `call`, kill the backend that queues behind the lock. */
  async function killWhileHeld<T>(tenant: string, call: () => Promise<T>): Promise<unknown> {
    const holder = await admin.connect();
    try {
      await holder.query('BEGIN');
      const { rowCount } = await holder.query(
        `SELECT 1 FROM "${schema}".audit_heads WHERE tenant = $1 AND chain = 0 FOR UPDATE`,
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

  it('fails an audited read killed mid-statement as unavailable, spends no use, and reads again', async () => {
    const { vault, clock, tenant } = vaultOn(storage);
    await vault.setSecret('kill/read', 'v');
    const token = await vault.requestToken({ scope: 'secrets:read:kill/*', maxUses: 5 });
    await storage.appendAudit({
      ...draft(tenant, null, clock.now()),
      success: true,
      error: null,
      version: null,
    });
    const before = {
      secret: await storage.getSecret(tenant, 'kill/read'),
      token: await storage.getToken(tenant, token.id!),
      heads: await storage.auditHeads(tenant),
    };
    clock.advance(1000);
    const event = draft(tenant, 'kill/read', clock.now());
    const read = () =>
      storage.readSecret({
        tenant,
        path: 'kill/read',
        version: null,
        now: clock.now(),
        maxTier: null,
        token: { id: token.id! },
        event,
      });
    expectUnavailable(await killWhileHeld(tenant, read));
    expect(await storage.getSecret(tenant, 'kill/read')).toEqual(before.secret);
    expect(await storage.getToken(tenant, token.id!)).toEqual(before.token);
    expect(await storage.auditHeads(tenant)).toEqual(before.heads);
    const events = await storage.queryAudit({
      tenant,
      path: 'kill/read',
      after: null,
      order: 'asc',
      limit: 10,
    });
    expect(events.map((e) => e.id)).not.toContain(event.id);
    expect((await read()).outcome).toBe('ok');
    expect((await storage.getToken(tenant, token.id!))?.usesRemaining).toBe(before.token!.usesRemaining! - 1);
  });

  it('rolls back a transaction killed after its first write, and the same write then succeeds', async () => {
    const { vault, tenant } = vaultOn(storage);
    await vault.setSecret('kill/seed', 'v');
    await storage.appendAudit({ ...draft(tenant, null, 0), success: true, error: null, version: null });
    const template = (await storage.listVersions(tenant, 'kill/seed'))[0]!;
    const seed = (await storage.getSecret(tenant, 'kill/seed'))!;
    const heads = await storage.auditHeads(tenant);
    const create = () =>
      storage.createSecret({
        secret: { ...seed, path: 'kill/new', accessedAt: null },
        version: {
          tenant,
          path: 'kill/new',
          version: 1,
          ciphertext: new Uint8Array([1, 2, 3]),
          wrappedKey: { keyId: template.keyId, ciphertext: new Uint8Array([4, 5, 6]) },
          createdAt: 0,
          createdBy: 'app:adapter-test',
          retiresAt: null,
        },
        event: { ...draft(tenant, 'kill/new', 0), success: true, error: null, version: 1 },
      });
    // The INSERT into secrets has run when the audit append queues on the held head.
    expectUnavailable(await killWhileHeld(tenant, create));
    expect(await storage.getSecret(tenant, 'kill/new')).toBeNull();
    expect(await storage.listVersions(tenant, 'kill/new')).toEqual([]);
    expect(await storage.auditHeads(tenant)).toEqual(heads);
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n FROM "${schema}".secret_access WHERE tenant = $1 AND path = 'kill/new'`,
      [tenant],
    );
    expect(rows[0].n).toBe(0);
    await create();
    expect((await storage.getSecret(tenant, 'kill/new'))?.currentVersion).toBe(1);
  });

  it('discards an idle pooled connection the server killed; the next call works', async () => {
    const { vault } = vaultOn(storage);
    await vault.setSecret('kill/idle', 'v');
    const { rows } = await admin.query(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1`,
      [appName],
    );
    expect(rows[0].n).toBeGreaterThan(0);
    // Every killed idle client reports its error and leaves the pool.
    await until(async () => pool.totalCount === 0, 'the pool to drop its dead clients');
    expect((await vault.getSecret('kill/idle')).value).toBe('v');
  });

  it('answers unavailable when the server cannot be reached, through the connectionString pool', async () => {
    const unreachable = postgresAdapter(
      { connectionString: 'postgres://postgres@127.0.0.1:1/test', connectionTimeoutMs: 1000 },
      { schema },
    );
    try {
      expectUnavailable(await unreachable.getSecret('t', 'a/b').catch((e: unknown) => e));
      expectUnavailable(await unreachable.migrate().catch((e: unknown) => e));
    } finally {
      await unreachable.close();
    }
    expectUnavailable(await unreachable.getSecret('t', 'a/b').catch((e: unknown) => e));
  });
});

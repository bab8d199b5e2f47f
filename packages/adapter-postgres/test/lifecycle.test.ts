/**
 * What the conformance suite leaves to each backend, on two pools (separate connections, as two
 * instances have): leases decided on the caller's clock with exactly one winner, one expiry-warning
 * claim of many with exactly one event, one winner among racing stage and append writes, and a
 * maintenance purge that waits for a restore holding the row and then leaves the secret alone.
 */
import type { AuditEventInput, AuditEventType, SecretRecord, VersionRecord } from '@agentvault/core';
import { AgentVaultConflictError, AgentVaultNotFoundError } from '@agentvault/core/errors';
import type pg from 'pg';
import { describeRequiring } from '@agentvault/core/testing';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { type PostgresAdapter, postgresAdapter } from '../src/index';
import { dropSchema, testPool, uniqueSchema } from '../src/testing';
import { draft, lockWaiters, uniqueAppName, until, vaultOn } from './support/fixtures';

function event(tenant: string, path: string | null, type: AuditEventType = 'secret.update'): AuditEventInput {
  return { ...draft(tenant, path, 1), type, success: true, error: null, version: null };
}

describeRequiring(inject('pgProblem'), 'postgres lifecycle', () => {
  const schema = uniqueSchema('lifecycle');
  const appName = uniqueAppName('lifecycle');
  let pool: pg.Pool;
  let otherPool: pg.Pool;
  let admin: pg.Pool;
  let a: PostgresAdapter;
  let b: PostgresAdapter;

  beforeAll(async () => {
    pool = testPool({ application_name: appName });
    otherPool = testPool({ application_name: appName });
    admin = testPool({ max: 3 });
    a = postgresAdapter({ pool }, { schema });
    b = postgresAdapter({ pool: otherPool }, { schema });
    await a.migrate();
  });
  afterAll(async () => {
    await dropSchema(admin, schema);
    await Promise.all([pool.end(), otherPool.end(), admin.end()]);
  });

  it('decides leases on the caller\'s clock: renew, expiry at its time, release by the owner only', async () => {
    const name = `rotation/t1/db/${Math.random()}`;
    expect(await a.acquireLease({ name, owner: 'A', now: 1_000, ttlMs: 500 })).toBe(true);
    expect(await b.acquireLease({ name, owner: 'B', now: 1_499, ttlMs: 500 })).toBe(false);
    expect(await a.acquireLease({ name, owner: 'A', now: 1_400, ttlMs: 500 })).toBe(true);
    expect(await b.acquireLease({ name, owner: 'B', now: 1_899, ttlMs: 500 })).toBe(false);
    await b.releaseLease({ name, owner: 'B' });
    expect(await b.acquireLease({ name, owner: 'B', now: 1_899, ttlMs: 500 })).toBe(false);
    expect(await b.acquireLease({ name, owner: 'B', now: 1_900, ttlMs: 500 })).toBe(true);
    expect(await a.acquireLease({ name, owner: 'A', now: 1_900, ttlMs: 500 })).toBe(false);
    await b.releaseLease({ name, owner: 'B' });
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".leases WHERE name = $1`, [name]);
    expect(rows[0].n).toBe(0);
    expect(await a.acquireLease({ name, owner: 'A', now: 0, ttlMs: 1 })).toBe(true);
  });

  it('gives a free lease, and then an expired one, to exactly one of 40 acquirers on two pools', async () => {
    for (let round = 0; round < 5; round++) {
      const name = `race/${round}/${Math.random()}`;
      const race = (owner: string, now: number) =>
        Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            (i % 2 ? a : b).acquireLease({ name, owner: `${owner}${i}`, now, ttlMs: 1_000 }),
          ),
        );
      expect((await race('first-', 10)).filter(Boolean)).toHaveLength(1);
      expect((await race('second-', 1_010)).filter(Boolean)).toHaveLength(1);
    }
  });

  it('grants one of 30 concurrent claims of an expiry warning and appends one event', async () => {
    const { tenant } = vaultOn(a);
    const claim = (storage: PostgresAdapter, kind: '7d' | '1d' = '7d', expiresAt = 5_000) =>
      storage.claimExpiryWarning({
        tenant,
        path: 'x/y',
        expiresAt,
        kind,
        event: event(tenant, 'x/y', 'secret.expiring'),
      });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => claim(i % 2 ? a : b)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await claim(a, '1d')).toBe(true);
    expect(await claim(b, '7d', 6_000)).toBe(true);
    expect(await claim(a, '7d', 6_000)).toBe(false);
    const events = await a.queryAudit({ tenant, types: ['secret.expiring'], after: null, order: 'asc', limit: 100 });
    expect(events).toHaveLength(3);
    expect((await a.auditHeads(tenant)).map((h) => h.seq)).toEqual([3]);
  });

  it('lets exactly one of racing stage and append writes of the next version win', async () => {
    const { vault, tenant } = vaultOn(a);
    await vault.setSecret('race/stage', 'v1');
    const { rows } = await admin.query(
      `SELECT ciphertext, key_id, wrapped_key FROM "${schema}".secret_versions WHERE tenant = $1 AND path = 'race/stage'`,
      [tenant],
    );
    const next: VersionRecord = {
      tenant,
      path: 'race/stage',
      version: 2,
      ciphertext: new Uint8Array(rows[0].ciphertext),
      wrappedKey: { keyId: rows[0].key_id, ciphertext: new Uint8Array(rows[0].wrapped_key) },
      createdAt: 2,
      createdBy: 'app:t',
      retiresAt: null,
    };
    const attempts = Array.from({ length: 20 }, (_, i) => {
      const storage = i % 2 ? a : b;
      const write =
        i % 4 < 2
          ? storage.stageVersion({ version: next, expectedCurrentVersion: 1, event: event(tenant, 'race/stage') })
          : storage.appendVersion({
              version: next,
              expectedCurrentVersion: 1,
              patch: {},
              retirePreviousAt: null,
              event: event(tenant, 'race/stage'),
            });
      return write.then(
        (record: SecretRecord) => record,
        (error: unknown) => error,
      );
    });
    const outcomes = await Promise.all(attempts);
    const won = outcomes.filter((o): o is SecretRecord => !(o instanceof Error));
    expect(won).toHaveLength(1);
    expect(outcomes.filter((o) => o instanceof AgentVaultConflictError)).toHaveLength(19);
    const stored = await a.getSecret(tenant, 'race/stage');
    expect(stored).toEqual(won[0]);
    expect(stored?.latestVersion).toBe(2);
    expect(await a.listVersions(tenant, 'race/stage')).toHaveLength(2);
  });

  it('refuses to purge a secret whose restore held the row: the purge waits, then finds it live', async () => {
    const { vault, clock, tenant } = vaultOn(a);
    await vault.setSecret('purge/back', 'v');
    await vault.deleteSecret('purge/back');
    const due = (await a.getSecret(tenant, 'purge/back'))!.purgeAt!;
    const holder = await admin.connect();
    try {
      await holder.query('BEGIN');
      // What restoreSecret holds while it works.
      await holder.query(
        `UPDATE "${schema}".secrets SET trashed_at = NULL, purge_at = NULL, updated_at = $3
         WHERE tenant = $1 AND path = $2`,
        [tenant, 'purge/back', clock.now()],
      );
      const purge = a
        .destroySecret({ tenant, path: 'purge/back', purgeDueBy: due, event: event(tenant, 'purge/back') })
        .then(
          () => new Error('purged a restored secret'),
          (error: unknown) => error,
        );
      await until(async () => (await lockWaiters(admin, appName)).length === 1, 'the purge to wait on the row');
      await holder.query('COMMIT');
      expect(await purge).toBeInstanceOf(AgentVaultNotFoundError);
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      holder.release();
    }
    expect((await vault.getSecret('purge/back')).value).toBe('v');
    await vault.deleteSecret('purge/back');
    await a.destroySecret({ tenant, path: 'purge/back', purgeDueBy: due + 10, event: event(tenant, 'purge/back') });
    expect(await a.getSecret(tenant, 'purge/back')).toBeNull();
  });

  it('keeps a rotation policy whole: the four columns are set or cleared together', async () => {
    const { vault, tenant } = vaultOn(a);
    await vault.setSecret('rot/check', 'v', { rotation: { everySeconds: 600, gracePeriodSeconds: 30 } });
    const stored = await a.getSecret(tenant, 'rot/check');
    expect(stored?.rotation).toMatchObject({ everySeconds: 600, gracePeriodSeconds: 30, failures: 0 });
    await expect(
      admin.query(`UPDATE "${schema}".secrets SET rotation_next_at = NULL WHERE tenant = $1 AND path = 'rot/check'`, [
        tenant,
      ]),
    ).rejects.toMatchObject({ code: '23514' });
    await vault.updateSecret('rot/check', { rotation: null });
    expect((await a.getSecret(tenant, 'rot/check'))?.rotation).toBeNull();
  });
});

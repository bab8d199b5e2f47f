/**
 * Migration 2 on a store the previous release wrote. The store is made at schema version 1 and
 * filled with exactly the columns version 1 has: the rows are written by a vault into a scratch
 * schema and copied column by column (real ciphertext, wrapped keys and audit chains, and no
 * value in any column version 1 lacks). Then the schema is migrated to the latest version and
 * the old rows are read, listed, verified, maintained and rotated.
 */
import { createVault, type SecretRecord } from '@agentvault/core';
import { describeRequiring, manualClock, testKeyWrapper, uniqueTenant } from '@agentvault/core/testing';
import type pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { Db } from '../src/db';
import { postgresAdapter } from '../src/index';
import { migrate } from '../src/migrations';
import { dropSchema, testPool, uniqueSchema } from '../src/testing';

const DAY = 86_400_000;

/** Columns of `secrets` at schema version 1; every other table of version 1 is unchanged since. */
const V1_SECRET_COLUMNS = `tenant, path, type, tier, description, tags, current_version, latest_version, created_at,
  created_by, updated_at, updated_by, expires_at, trashed_at, purge_at`;
const V1_UNCHANGED_TABLES = [
  'secret_access',
  'secret_versions',
  'audit_heads',
  'audit_events',
  'agent_keys',
  'tokens',
  'approvals',
];

describeRequiring(inject('pgProblem'), 'postgres upgrade from schema version 1', () => {
  const scratch = uniqueSchema('upgrade_src');
  const schema = uniqueSchema('upgrade');
  let pool: pg.Pool;

  beforeAll(() => {
    pool = testPool();
  });
  afterAll(async () => {
    await dropSchema(pool, scratch);
    await dropSchema(pool, schema);
    await pool.end();
  });

  const columnsOf = async (table: string) =>
    (
      await pool.query(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`,
        [schema, table],
      )
    ).rows.map((row) => row.column_name as string);

  it('reads, maintains and rotates rows written at version 1 after migrating to the latest version', async () => {
    expect(await migrate(new Db(pool, schema, { preparedStatements: false }), 1)).toEqual({
      applied: [1],
      version: 1,
    });
    expect(await columnsOf('secrets')).not.toContain('pending_version');

    // What the previous release stored: secrets of every kind maintenance cares about.
    const keys = testKeyWrapper();
    const clock = manualClock();
    const tenant = uniqueTenant();
    const logger = { warn() {}, error() {} };
    const writer = postgresAdapter({ pool }, { schema: scratch });
    await writer.migrate();
    const before = createVault({ storage: writer, keys, clock, defaultTenant: tenant, logger });
    await before.setSecret('old/plain', 'first');
    await before.setSecret('old/plain', 'second');
    await before.setSecret('old/expiring', 'soon', { expiresInDays: 3 });
    await before.setSecret('old/trashed', 'bin');
    await before.deleteSecret('old/trashed');
    await before.setSecret('old/crit', 'c', { tier: 'critical' });
    const { approvalRequestId } = await before.requestToken({ scope: 'secrets:read:old/crit' }, { actor: 'agent' });
    expect(approvalRequestId).toBeDefined();
    const q = (name: string) => `"${schema}".${name}`;
    const from = (name: string) => `"${scratch}".${name}`;
    await pool.query(
      `INSERT INTO ${q('secrets')} (${V1_SECRET_COLUMNS}) SELECT ${V1_SECRET_COLUMNS} FROM ${from('secrets')}`,
    );
    for (const table of V1_UNCHANGED_TABLES) {
      await pool.query(`INSERT INTO ${q(table)} SELECT * FROM ${from(table)}`);
    }

    const storage = postgresAdapter({ pool }, { schema });
    expect(await storage.migrate()).toEqual({ applied: [2], version: 2 });
    expect(await columnsOf('secrets')).toEqual(expect.arrayContaining(['pending_version', 'rotation_next_at']));

    // Every old row reads back as it was, with no rotation and no pending version.
    const paths = ['old/plain', 'old/expiring', 'old/trashed', 'old/crit'];
    for (const path of paths) {
      const record = await storage.getSecret(tenant, path);
      expect(record).toMatchObject({ rotation: null, pendingVersion: null });
      expect(record).toEqual(await writer.getSecret(tenant, path));
    }
    const vault = createVault({ storage, keys, clock, defaultTenant: tenant, logger });
    expect((await vault.getSecret('old/plain')).value).toBe('second');
    expect((await vault.getSecret('old/plain', { version: 1 })).value).toBe('first');
    expect((await vault.listSecrets('old')).items.map((s) => s.path)).toEqual([
      'old/crit',
      'old/expiring',
      'old/plain',
    ]);
    expect((await vault.verifyAudit()).ok).toBe(true);

    // Maintenance finds the old rows through the new indexes.
    clock.advance(DAY + 1);
    expect(await vault.runMaintenance()).toMatchObject({ purged: 0, approvalsExpired: 1, warnings: 1, errors: 0 });
    expect((await storage.getApproval(tenant, approvalRequestId!))?.status).toBe('expired');
    clock.advance(30 * DAY);
    expect(await vault.runMaintenance()).toMatchObject({ purged: 1, approvalsExpired: 0, warnings: 0, errors: 0 });
    expect(await storage.getSecret(tenant, 'old/trashed')).toBeNull();

    // An old secret takes a rotation policy and rotates, staged.
    await vault.updateSecret('old/plain', { rotation: { everySeconds: 3600 } });
    vault.registerRotationHandler('old/*', { create: async ({ currentValue }) => `${currentValue}-rotated` });
    clock.advanceSeconds(3600);
    const report = await vault.runMaintenance();
    expect(report.rotations).toEqual({ rotated: 1, failed: 0, busy: 0, superseded: 0 });
    const rotated = (await storage.getSecret(tenant, 'old/plain')) as SecretRecord;
    expect([rotated.currentVersion, rotated.latestVersion, rotated.pendingVersion]).toEqual([3, 3, null]);
    expect(rotated.rotation).toEqual({
      everySeconds: 3600,
      gracePeriodSeconds: 0,
      nextAt: clock.now() + 3_600_000,
      failures: 0,
    });
    expect((await vault.getSecret('old/plain')).value).toBe('second-rotated');
    expect((await vault.verifyAudit()).ok).toBe(true);
  });
});

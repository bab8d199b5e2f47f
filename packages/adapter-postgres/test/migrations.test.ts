import { AgentVaultConfigurationError } from '@agentvault/core/errors';
import type pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { describeRequiring } from '@agentvault/core/testing';
import { postgresAdapter } from '../src/index';
import { dropSchema, testPool, uniqueSchema } from '../src/testing';
import { createSecret, uniqueTenant } from './support/records';

/** The migrations the previous release recorded one by one on an empty schema, with their checksums. */
const PREVIOUS_RELEASE: Array<[number, string, string]> = [
  [1, 'initial schema', '6aaa9641778622fd043bfe68b65221a00d04675afede57c0fb88a2c3ae93b649'],
  [2, 'staged rotation and maintenance', 'f066352210c10d4eef64864d25e699e763966fdd4f14dd923044478642613db1'],
  [3, 'storage contract v2', 'a5fc9eedbaa3fef4e0f87dc9cb49813507679cdc2b0de2aca793da5ab45951f7'],
  [4, 'version retention', '95caef99205220a36a99e1b94e7799576f17188751ac7a78a5fec0b40b09d735'],
];

describeRequiring(inject('pgProblem'), 'postgres migrations', () => {
  const schemas: string[] = [];
  let pool: pg.Pool;
  let otherPool: pg.Pool;
  const fresh = (label: string) => {
    const schema = uniqueSchema(label);
    schemas.push(schema);
    return schema;
  };
  const tablesIn = async (schema: string) =>
    (
      await pool.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
        [schema],
      )
    ).rows.map((row) => row.table_name as string);

  beforeAll(() => {
    pool = testPool();
    otherPool = testPool();
  });
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(pool, schema);
    await Promise.all([pool.end(), otherPool.end()]);
  });

  it('creates the schema and every table, records the migration, and is a no-op the second time', async () => {
    const schema = fresh('migrate');
    const adapter = postgresAdapter({ pool }, { schema });
    expect(await adapter.migrate()).toEqual({ applied: [4], version: 4 });
    expect(await tablesIn(schema)).toEqual([
      'agentvault_migrations',
      'audit_counters',
      'audit_events',
      'records',
      'secret_access',
      'secret_versions',
      'secrets',
    ]);
    expect(await adapter.migrate()).toEqual({ applied: [], version: 4 });
    const { rows } = await pool.query(
      `SELECT version, name FROM "${schema}".agentvault_migrations ORDER BY version`,
    );
    expect(rows).toEqual([{ version: 4, name: 'baseline: storage contract v2 with version retention' }]);
  });

  it('lets two processes migrate one schema at once: one applies, the other waits and finds it done', async () => {
    const schema = fresh('race');
    const results = await Promise.all([
      postgresAdapter({ pool }, { schema }).migrate(),
      postgresAdapter({ pool: otherPool }, { schema }).migrate(),
      postgresAdapter({ pool: otherPool }, { schema }).migrate(),
    ]);
    expect(results.map((r) => r.applied).sort()).toEqual([[], [], [4]]);
    expect(results.every((r) => r.version === 4)).toBe(true);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".agentvault_migrations`);
    expect(rows[0].n).toBe(1);
  });

  it('refuses a schema whose recorded migration was applied from different SQL', async () => {
    const schema = fresh('tampered');
    const adapter = postgresAdapter({ pool }, { schema });
    await adapter.migrate();
    await pool.query(`UPDATE "${schema}".agentvault_migrations SET checksum = 'edited' WHERE version = 4`);
    await expect(adapter.migrate()).rejects.toBeInstanceOf(AgentVaultConfigurationError);
  });

  it('accepts a schema the previous release migrated step by step (1–4 recorded), and refuses one of them edited', async () => {
    const schema = fresh('steps');
    const adapter = postgresAdapter({ pool }, { schema });
    await adapter.migrate();
    await pool.query(`DELETE FROM "${schema}".agentvault_migrations`);
    for (const [version, name, checksum] of PREVIOUS_RELEASE) {
      await pool.query(`INSERT INTO "${schema}".agentvault_migrations (version, name, checksum) VALUES ($1, $2, $3)`, [
        version,
        name,
        checksum,
      ]);
    }
    expect(await adapter.migrate()).toEqual({ applied: [], version: 4 });
    await pool.query(`UPDATE "${schema}".agentvault_migrations SET checksum = 'edited' WHERE version = 3`);
    await expect(adapter.migrate()).rejects.toThrow(/migration 3 \(storage contract v2\) .* was applied from different SQL/);
  });

  it('refuses a schema recorded at version 1 only (no release stopped there), and changes nothing', async () => {
    const schema = fresh('v1');
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(`CREATE TABLE "${schema}".agentvault_migrations (
      version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const [version, name, checksum] = PREVIOUS_RELEASE[0]!;
    await pool.query(`INSERT INTO "${schema}".agentvault_migrations (version, name, checksum) VALUES ($1, $2, $3)`, [
      version,
      name,
      checksum,
    ]);
    const adapter = postgresAdapter({ pool }, { schema });
    await expect(adapter.migrate()).rejects.toThrow(/lacks migration 2 \(staged rotation and maintenance\)/);
    expect(await tablesIn(schema)).toEqual(['agentvault_migrations']);
  });

  it('says to run migrate() when the tables are missing, and never migrates by itself', async () => {
    const schema = fresh('missing');
    const adapter = postgresAdapter({ pool }, { schema });
    const error = await adapter.getRecords([{ kind: 'secret', tenant: 't', path: 'a/b' }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentVaultConfigurationError);
    expect((error as Error).message).toContain('migrate()');
    expect(await tablesIn(schema)).toEqual([]);
  });

  it('keeps schemas apart: a secret written through one schema is absent from another', async () => {
    const [a, b] = [fresh('iso_a'), fresh('iso_b')].map((schema) => postgresAdapter({ pool }, { schema }));
    await Promise.all([a!.migrate(), b!.migrate()]);
    const tenant = uniqueTenant();
    await createSecret(a!, tenant, 'iso/key');
    const key = { kind: 'secret' as const, tenant, path: 'iso/key' };
    expect(await a!.getRecords([key])).not.toEqual([null]);
    expect(await b!.getRecords([key])).toEqual([null]);
  });

  it('refuses a schema name that is not a plain identifier', () => {
    expect(() => postgresAdapter({ pool }, { schema: 'bad"; DROP SCHEMA public; --' })).toThrow(TypeError);
  });
});

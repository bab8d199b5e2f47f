import { expect, it } from 'vitest';
import type { SecretRecord, VersionRecord } from '../../contracts/records';
import {
  AgentVaultConflictError,
  AgentVaultGoneError,
  AgentVaultNotFoundError,
  AgentVaultValidationError,
} from '../../errors';
import type { SuiteContext } from './context';
import { testEvent } from './fixtures';

export function secretTests(ctx: SuiteContext): void {
  it('stores a secret and reads it back with its metadata', async () => {
    const { vault, clock } = ctx.setup();
    const created = await vault.createSecret({
      path: 'production/openai/api-key',
      value: 'sk-proj-abc123',
      tier: 'sensitive',
      type: 'api_key',
      description: 'OpenAI key',
      tags: { team: 'ml', env: 'prod' },
    });
    expect(created).toMatchObject({
      path: 'production/openai/api-key',
      version: 1,
      tier: 'sensitive',
      type: 'api_key',
    });
    clock.advanceSeconds(5);
    const secret = await vault.getSecret('production/openai/api-key');
    expect(secret).toMatchObject({
      path: 'production/openai/api-key',
      value: 'sk-proj-abc123',
      version: 1,
      tier: 'sensitive',
      type: 'api_key',
      description: 'OpenAI key',
      tags: { team: 'ml', env: 'prod' },
      expiresAt: null,
    });
    expect(secret.accessedAt.getTime()).toBe(clock.now());
    expect((await vault.listSecrets('production')).items[0]?.accessedAt?.getTime()).toBe(clock.now());
  });

  it('refuses to create a path twice and keeps the first value', async () => {
    const { vault } = ctx.setup();
    await vault.createSecret({ path: 'a/b', value: 'first' });
    await expect(vault.createSecret({ path: 'a/b', value: 'second' })).rejects.toBeInstanceOf(
      AgentVaultConflictError,
    );
    expect((await vault.getSecret('a/b')).value).toBe('first');
    expect(await vault.listVersions('a/b')).toHaveLength(1);
  });

  it('appends a version per update and reads any version by number', async () => {
    const { vault } = ctx.setup();
    await vault.setSecret('svc/key', 'v1-value');
    await vault.setSecret('svc/key', 'v2-value');
    await vault.updateSecret('svc/key', { value: 'v3-value' });
    expect((await vault.getSecret('svc/key')).version).toBe(3);
    expect((await vault.getSecret('svc/key', { version: 1 })).value).toBe('v1-value');
    expect((await vault.getSecret('svc/key', { version: 'v2' })).value).toBe('v2-value');
    const versions = await vault.listVersions('svc/key');
    expect(versions.map((v) => [v.version, v.isActive])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    await expect(vault.getSecret('svc/key', { version: 4 })).rejects.toBeInstanceOf(AgentVaultNotFoundError);
  });

  it('fails a write with a stale expectedVersion and changes nothing', async () => {
    const { vault } = ctx.setup();
    await vault.setSecret('cas/key', 'one');
    await vault.setSecret('cas/key', 'two', { expectedVersion: 1 });
    await expect(vault.setSecret('cas/key', 'three', { expectedVersion: 1 })).rejects.toBeInstanceOf(
      AgentVaultConflictError,
    );
    await expect(
      vault.updateSecret('cas/key', { description: 'x', expectedVersion: 1 }),
    ).rejects.toBeInstanceOf(AgentVaultConflictError);
    const secret = await vault.getSecret('cas/key');
    expect([secret.version, secret.value, secret.description]).toEqual([2, 'two', null]);
    expect(await vault.listVersions('cas/key')).toHaveLength(2);
  });

  it('gives 100 parallel updates 100 contiguous versions and loses none', async () => {
    const { vault } = ctx.setup();
    await vault.setSecret('race/key', 'initial');
    const values = Array.from({ length: 100 }, (_, i) => `value-${i}`);
    await Promise.all(values.map((value) => vault.updateSecret('race/key', { value })));
    const versions = await vault.listVersions('race/key');
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
    const stored = await Promise.all(
      versions.slice(1).map((v) => vault.getSecret('race/key', { version: v.version })),
    );
    expect(stored.map((s) => s.value).sort()).toEqual([...values].sort());
  }, 60_000);

  it('MUST refuse an append whose number or expected version is stale (adapter contract)', async () => {
    const { vault, storage, tenant, backdoor } = ctx.setup();
    await vault.setSecret('cas/raw', 'one');
    const template = (await backdoor.readVersion({ tenant, path: 'cas/raw', version: 1 }))!;
    const version = (n: number): VersionRecord => ({ ...template, version: n });
    const append = (n: number, expected: number) =>
      storage.writeVersion({
        mode: 'append',
        version: version(n),
        expectedCurrentVersion: expected,
        patch: {},
        retirePreviousAt: null,
        event: testEvent(tenant, 'cas/raw', n),
      });
    await expect(append(3, 1)).rejects.toBeInstanceOf(AgentVaultConflictError);
    await expect(append(2, 2)).rejects.toBeInstanceOf(AgentVaultConflictError);
    const results = await Promise.allSettled([append(2, 1), append(2, 1), append(2, 1)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 'rejected' && r.reason instanceof AgentVaultConflictError),
    ).toHaveLength(2);
    // A missing secret is a failed condition too; the vault re-reads and answers 404.
    await expect(
      storage.writeVersion({
        mode: 'append',
        version: { ...version(1), path: 'cas/none' },
        expectedCurrentVersion: 0,
        patch: {},
        retirePreviousAt: null,
        event: testEvent(tenant, 'cas/none'),
      }),
    ).rejects.toBeInstanceOf(AgentVaultConflictError);
    // create conflicts on an existing path; stage conflicts while a pending version exists.
    await expect(
      storage.writeVersion({
        mode: 'create',
        secret: (await storage.getRecords([{ kind: 'secret', tenant, path: 'cas/raw' }]))[0]!.record as SecretRecord,
        version: version(1),
        expectedCurrentVersion: 0,
        patch: {},
        retirePreviousAt: null,
        event: testEvent(tenant, 'cas/raw', 1),
      }),
    ).rejects.toBeInstanceOf(AgentVaultConflictError);
    const stage = (n: number) =>
      storage.writeVersion({
        mode: 'stage',
        version: version(n),
        expectedCurrentVersion: 2,
        patch: {},
        retirePreviousAt: null,
        event: testEvent(tenant, 'cas/raw', n),
      });
    const staged = await stage(3);
    expect(staged.record).toMatchObject({ currentVersion: 2, latestVersion: 3, pendingVersion: 3 });
    await expect(stage(4)).rejects.toBeInstanceOf(AgentVaultConflictError);
  });

  it('rolls back to an earlier version without a new version, then appends after the latest', async () => {
    const { vault } = ctx.setup();
    await vault.setSecret('rb/key', 'one');
    await vault.setSecret('rb/key', 'two');
    await vault.setSecret('rb/key', 'three');
    const rolled = await vault.rollbackSecret('rb/key', 'v1');
    expect([rolled.version, rolled.latestVersion]).toEqual([1, 3]);
    expect((await vault.getSecret('rb/key')).value).toBe('one');
    await expect(vault.rollbackSecret('rb/key', 9)).rejects.toBeInstanceOf(AgentVaultNotFoundError);
    await expect(vault.rollbackSecret('rb/key', 2, { expectedVersion: 3 })).rejects.toBeInstanceOf(
      AgentVaultConflictError,
    );
    const updated = await vault.setSecret('rb/key', 'four');
    expect([updated.version, updated.latestVersion]).toEqual([4, 4]);
  });

  it('keeps a rotated-out version readable for its grace period, then answers 410', async () => {
    const { vault, clock } = ctx.setup();
    await vault.setSecret('rot/key', 'old-value');
    const start = clock.now();
    const result = await vault.rotateSecret('rot/key', 'new-value', { gracePeriodSeconds: 300 });
    expect(result).toMatchObject({ path: 'rot/key', newVersion: 2, oldVersion: 1 });
    expect(result.expiresAt.getTime()).toBe(start + 300_000);
    expect((await vault.getSecret('rot/key')).value).toBe('new-value');
    clock.advanceSeconds(299);
    expect((await vault.getSecret('rot/key', { version: 1 })).value).toBe('old-value');
    clock.advanceSeconds(1);
    await expect(vault.getSecret('rot/key', { version: 1 })).rejects.toBeInstanceOf(AgentVaultGoneError);
    await expect(vault.rollbackSecret('rot/key', 1)).rejects.toBeInstanceOf(AgentVaultGoneError);
    await vault.rotateSecret('rot/key', 'newest');
    await expect(vault.getSecret('rot/key', { version: 2 })).rejects.toBeInstanceOf(AgentVaultGoneError);
  });

  it('answers 410 past expiresAt, keeps the secret listable, and lets an update extend it', async () => {
    const { vault, clock } = ctx.setup();
    await vault.setSecret('exp/key', 'value', { expiresInDays: 1 });
    clock.advanceSeconds(86_400);
    await expect(vault.getSecret('exp/key')).rejects.toBeInstanceOf(AgentVaultGoneError);
    expect((await vault.listSecrets('exp')).items.map((i) => i.path)).toEqual(['exp/key']);
    await vault.updateSecret('exp/key', { expiresAt: new Date(clock.now() + 60_000) });
    expect((await vault.getSecret('exp/key')).value).toBe('value');
    await vault.updateSecret('exp/key', { expiresAt: null });
    clock.advanceSeconds(365 * 86_400);
    expect((await vault.getSecret('exp/key')).expiresAt).toBeNull();
  });

  it('changes metadata without a new version', async () => {
    const { vault } = ctx.setup();
    await vault.setSecret('meta/key', 'value', { tags: { a: '1' } });
    const updated = await vault.updateSecret('meta/key', {
      tier: 'critical',
      description: 'now critical',
      tags: { b: '2' },
    });
    expect(updated).toMatchObject({
      version: 1,
      tier: 'critical',
      description: 'now critical',
      tags: { b: '2' },
    });
    expect(await vault.listVersions('meta/key')).toHaveLength(1);
    await expect(vault.updateSecret('meta/missing', { description: 'x' })).rejects.toBeInstanceOf(
      AgentVaultNotFoundError,
    );
  });

  it('refuses bad input with a validation error and stores nothing', async () => {
    const { vault } = ctx.setup({ maxValueBytes: 1024 });
    const bad: Array<() => Promise<unknown>> = [
      () => vault.setSecret('a/../b', 'v'),
      () => vault.setSecret('a//b', 'v'),
      () => vault.setSecret('a/b/', 'v'),
      () => vault.setSecret('', 'v'),
      () => vault.setSecret('a/%2Fb', 'v'),
      () => vault.setSecret('x'.repeat(129), 'v'),
      () => vault.setSecret('ok/path', 'x'.repeat(1025)),
      () => vault.setSecret('ok/path', '\ud800'),
      () => vault.setSecret('ok/path', 'v', { tier: 'secret' as never }),
      () => vault.setSecret('ok/path', 'v', { tags: { 'bad key': 'v' } }),
      () => vault.createSecret({ path: 'ok/path', value: 'v', bogus: true } as never),
      () => vault.setSecret('ok/path', 'v', { expiresAt: 'tomorrow' }),
    ];
    for (const attempt of bad) await expect(attempt()).rejects.toBeInstanceOf(AgentVaultValidationError);
    expect((await vault.listSecrets('')).total).toBe(0);
  });

  it('never puts a value in an error message', async () => {
    const { vault } = ctx.setup({ maxValueBytes: 16 });
    const value = 'sk-live-SECRETVALUE-that-is-too-long';
    const error = await vault.setSecret('leak/check', value).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentVaultValidationError);
    expect(
      JSON.stringify({
        message: (error as Error).message,
        issues: (error as AgentVaultValidationError).issues,
      }),
    ).not.toContain('SECRETVALUE');
  });

  it('imports a .env file, skipping existing paths unless asked to overwrite', async () => {
    const { vault } = ctx.setup();
    await vault.setSecret('production/EXISTING', 'keep-me');
    const env = [
      '# database',
      'DB_URL="postgres://u:p@h/db"',
      'export STRIPE_KEY=sk_test_1 # inline comment',
      'OPENAI_KEY=\'sk-proj-x\'',
      'MULTI="line one',
      'line two"',
      'EXISTING=replaced',
      '',
    ].join('\n');
    const options = {
      namespace: 'production',
      tierByPrefix: { DB_: 'critical', STRIPE_: 'sensitive' },
    } as const;
    const dry = await vault.importEnv(env, { ...options, dryRun: true });
    expect(dry.created.map((c) => [c.path, c.tier])).toEqual([
      ['production/DB_URL', 'critical'],
      ['production/STRIPE_KEY', 'sensitive'],
      ['production/OPENAI_KEY', 'standard'],
      ['production/MULTI', 'standard'],
    ]);
    expect((await vault.listSecrets('production')).total).toBe(1);
    const result = await vault.importEnv(env, options);
    expect(result.created).toHaveLength(4);
    expect(result.skipped.map((s) => [s.path, s.reason])).toEqual([['production/EXISTING', 'exists']]);
    expect(result.counts).toEqual({ created: 4, updated: 0, skipped: 1 });
    expect(result.secrets.map((s) => [s.path, s.tier, s.outcome])).toEqual([
      ['production/DB_URL', 'critical', 'created'],
      ['production/STRIPE_KEY', 'sensitive', 'created'],
      ['production/OPENAI_KEY', 'standard', 'created'],
      ['production/MULTI', 'standard', 'created'],
    ]);
    // A skipped entry reports the stored tier, not the one the import asked for.
    const retiered = await vault.importEnv('DB_URL=x\nOPENAI_KEY=y', { namespace: 'production', tier: 'critical' });
    expect(retiered.counts).toEqual({ created: 0, updated: 0, skipped: 2 });
    expect(retiered.secrets).toEqual([]);
    expect(retiered.skipped.map((s) => [s.path, s.tier])).toEqual([
      ['production/DB_URL', 'critical'],
      ['production/OPENAI_KEY', 'standard'],
    ]);
    expect((await vault.getSecret('production/MULTI')).value).toBe('line one\nline two');
    expect((await vault.getSecret('production/DB_URL')).tier).toBe('critical');
    expect((await vault.getSecret('production/EXISTING')).value).toBe('keep-me');
    const again = await vault.importEnv(env, { ...options, overwrite: true });
    expect(again.updated).toHaveLength(5);
    expect((await vault.getSecret('production/EXISTING')).value).toBe('replaced');
  });

  it('keeps a stored tier and type on overwrite unless the import names them, and honours tier and type', async () => {
    const { vault } = ctx.setup();
    await vault.setSecret('imp/KEPT', 'v1', { tier: 'critical', type: 'db_credential' });
    await vault.setSecret('imp/NAMED', 'v1', { tier: 'critical' });
    const result = await vault.importEnv('KEPT=v2\nNAMED=v2\nNEW=v1', {
      namespace: 'imp',
      overwrite: true,
      tierByPrefix: { NAMED: 'sensitive' },
    });
    expect(result.updated.map((u) => [u.path, u.tier])).toEqual([['imp/KEPT', 'critical'], ['imp/NAMED', 'sensitive']]);
    expect(await vault.getSecret('imp/KEPT')).toMatchObject({ value: 'v2', tier: 'critical', type: 'db_credential' });
    expect(await vault.getSecret('imp/NAMED')).toMatchObject({ value: 'v2', tier: 'sensitive' });
    expect(await vault.getSecret('imp/NEW')).toMatchObject({ tier: 'standard', type: 'custom' });
    await vault.importEnv('KEPT=v3\nOTHER=x', { namespace: 'imp', overwrite: true, tier: 'sensitive', type: 'api_key' });
    expect(await vault.getSecret('imp/KEPT')).toMatchObject({ value: 'v3', tier: 'sensitive', type: 'api_key' });
    expect(await vault.getSecret('imp/OTHER')).toMatchObject({ tier: 'sensitive', type: 'api_key' });
  });

  it('reports every malformed .env line by number and writes nothing', async () => {
    const { vault } = ctx.setup();
    const env = 'GOOD=1\nthis line is wrong\nALSO_GOOD=2\n=novalue\nQUOTE="s3cr3t-unterminated\n';
    const error = await vault.importEnv(env, { namespace: 'imp' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentVaultValidationError);
    const issues = (error as AgentVaultValidationError).issues;
    expect(issues.map((i) => i.path)).toEqual([
      ['line', 2],
      ['line', 4],
      ['line', 5],
    ]);
    expect(JSON.stringify(issues)).not.toContain('s3cr3t');
    expect((await vault.listSecrets('')).total).toBe(0);
  });
}

import { expect, it } from 'vitest';
import { AgentVaultNotFoundError } from '../../errors';
import type { SuiteContext } from './context';
import { allEvents } from './fixtures';

const DAY_S = 86_400;

/**
 * Version history retention (domain/version-retention), enforced by maintenance. Maintenance is
 * store-wide, so each test asserts only its own tenant's secrets and events.
 */
export function retentionTests(ctx: SuiteContext): void {
  it('keeps the newest N versions of a secret with its own policy: older version records are deleted, audited once', async () => {
    const { vault, storage, tenant } = ctx.setup();
    await vault.createSecret({ path: 'ret/count', value: 'v1', versionRetention: { versions: 2 } });
    for (const value of ['v2', 'v3', 'v4', 'v5']) await vault.setSecret('ret/count', value);
    await vault.setSecret('ret/unbounded', 'a');
    await vault.setSecret('ret/unbounded', 'b');

    const report = await vault.runMaintenance();
    expect(report.errors).toBe(0);
    expect(report.versionsPruned).toBeGreaterThanOrEqual(3);
    expect((await vault.listVersions('ret/count')).map((v) => v.version)).toEqual([4, 5]);
    expect((await vault.getSecret('ret/count')).value).toBe('v5');
    await expect(vault.getSecret('ret/count', { version: 1 })).rejects.toBeInstanceOf(AgentVaultNotFoundError);
    // The version records are gone: ciphertext and wrapped key with them.
    const stored = await storage.getRecords([1, 2, 3, 4].map((version) => ({ kind: 'version' as const, tenant, path: 'ret/count', version })));
    expect(stored.map((s) => s !== null)).toEqual([false, false, false, true]);
    // Without a policy (none on the vault either), every version stays.
    expect((await vault.listVersions('ret/unbounded')).map((v) => v.version)).toEqual([1, 2]);

    const pruned = await allEvents(vault, { path: 'ret/count', type: 'secret.prune' });
    expect(pruned).toHaveLength(1);
    expect(pruned[0]).toMatchObject({
      actor: 'app:maintenance',
      success: true,
      version: 5,
      details: { versions: '1,2,3', count: 3, reason: 'version retention' },
    });
    await vault.runMaintenance();
    expect(await allEvents(vault, { path: 'ret/count', type: 'secret.prune' })).toHaveLength(1);
  });

  it('ages replaced versions out after `days`, but never the current one or one inside its grace period', async () => {
    const { vault, clock } = ctx.setup();
    await vault.createSecret({ path: 'ret/days', value: 'one', versionRetention: { days: 7 } });
    clock.advanceSeconds(DAY_S);
    await vault.setSecret('ret/days', 'two');
    clock.advanceSeconds(DAY_S);
    await vault.rotateSecret('ret/days', 'three', { gracePeriodSeconds: 30 * DAY_S });

    clock.advanceSeconds(6 * DAY_S - 60); // v1 was replaced 7 days ago less a minute
    await vault.runMaintenance();
    expect((await vault.listVersions('ret/days')).map((v) => v.version)).toEqual([1, 2, 3]);
    clock.advanceSeconds(60);
    await vault.runMaintenance();
    // v2 was replaced 7 days ago too, but its grace period runs for 30 days.
    expect((await vault.listVersions('ret/days')).map((v) => v.version)).toEqual([2, 3]);
    clock.advanceSeconds(30 * DAY_S);
    await vault.runMaintenance();
    expect((await vault.listVersions('ret/days')).map((v) => v.version)).toEqual([3]);
    expect((await vault.getSecret('ret/days')).value).toBe('three');
    const events = await allEvents(vault, { path: 'ret/days', type: 'secret.prune', order: 'asc' });
    expect(events.map((e) => e.details.versions)).toEqual(['1', '2']);
  });

  it('applies the vault\'s policy to secrets without their own, keeps a rolled-back current version, and a secret may opt out', async () => {
    const { vault, clock } = ctx.setup({ versionRetention: { versions: 1 } });
    await vault.setSecret('ret/vault', 'one');
    await vault.setSecret('ret/vault', 'two');
    await vault.setSecret('ret/vault', 'three');
    await vault.rollbackSecret('ret/vault', 1);
    await vault.createSecret({ path: 'ret/keep', value: 'a', versionRetention: { days: null, versions: null } });
    await vault.setSecret('ret/keep', 'b');
    clock.advanceSeconds(60);
    await vault.runMaintenance();
    // The newest version is 3, but the current one (1, after the rollback) is never removed.
    expect((await vault.listVersions('ret/vault')).map((v) => [v.version, v.isActive])).toEqual([
      [1, true],
      [3, false],
    ]);
    expect((await vault.getSecret('ret/vault')).value).toBe('one');
    expect((await vault.listVersions('ret/keep')).map((v) => v.version)).toEqual([1, 2]);
    // A policy set later by an update applies from the next pass.
    await vault.updateSecret('ret/keep', { versionRetention: { versions: 1 } });
    await vault.runMaintenance();
    expect((await vault.listVersions('ret/keep')).map((v) => v.version)).toEqual([2]);
  });

  it('prunes once when two instances run maintenance at the same time', async () => {
    const { vault, another } = ctx.setup();
    await vault.createSecret({ path: 'ret/race', value: 'v1', versionRetention: { versions: 1 } });
    for (const value of ['v2', 'v3', 'v4']) await vault.setSecret('ret/race', value);
    const other = another();
    const reports = await Promise.all([vault.runMaintenance(), other.runMaintenance(), vault.runMaintenance()]);
    expect(reports.every((r) => r.errors === 0)).toBe(true);
    expect((await vault.listVersions('ret/race')).map((v) => v.version)).toEqual([4]);
    const events = await allEvents(vault, { path: 'ret/race', type: 'secret.prune' });
    // Racing instances each delete what they read; the deletes of one version settle once.
    expect(events.flatMap((e) => String(e.details.versions).split(',')).sort()).toEqual(['1', '2', '3']);
  });
}

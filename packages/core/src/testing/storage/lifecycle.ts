import { expect, it } from 'vitest';
import type { StorageAdapter } from '../../contracts/storage';
import { AgentVaultConflictError, AgentVaultError, AgentVaultGoneError } from '../../errors';
import type { VaultEvent } from '../../vault/events';
import type { RotationHandler } from '../../vault/rotation';
import type { SuiteContext } from './context';
import { allEvents, testEvent, storedRecord, storedSecret } from './fixtures';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A promise the test resolves when it wants a handler to continue. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

function counter(prefix: string): RotationHandler & { made: string[] } {
  const made: string[] = [];
  return {
    made,
    async create() {
      const value = `${prefix}-${made.length + 1}`;
      made.push(value);
      return value;
    },
  };
}

export function lifecycleTests(ctx: SuiteContext): void {
  let twin: StorageAdapter | undefined;
  const second = async () => {
    twin ??= (await ctx.fixture().twin?.()) ?? ctx.fixture().storage;
    return twin;
  };

  it('rotates in stages: creates, tests and promotes, keeping the old version for its grace period', async () => {
    const events: VaultEvent[] = [];
    const { vault, clock } = ctx.setup({ onEvent: (e) => void events.push(e) });
    await vault.setSecret('rot/api', 'original', { type: 'api_key', rotation: { everySeconds: 3600, gracePeriodSeconds: 300 } });
    const tested: string[] = [];
    vault.registerRotationHandler('api_key', {
      create: async ({ currentValue, currentVersion }) => `${currentValue}-rotated-from-v${currentVersion}`,
      test: async ({ pendingValue }) => void tested.push(pendingValue),
    });
    const result = await vault.rotateNow('rot/api');
    expect(result).toMatchObject({ path: 'rot/api', newVersion: 2, oldVersion: 1 });
    expect(result.expiresAt.getTime()).toBe(clock.now() + 300_000);
    expect(tested).toEqual(['original-rotated-from-v1']);
    expect((await vault.getSecret('rot/api')).value).toBe('original-rotated-from-v1');
    clock.advanceSeconds(299);
    expect((await vault.getSecret('rot/api', { version: 1 })).value).toBe('original');
    clock.advanceSeconds(1);
    await expect(vault.getSecret('rot/api', { version: 1 })).rejects.toBeInstanceOf(AgentVaultGoneError);
    expect(events.filter((e) => e.type === 'rotation.completed')).toHaveLength(1);
    const audit = await allEvents(vault, { path: 'rot/api', order: 'asc' });
    expect(audit.filter((e) => e.type !== 'secret.read').map((e) => [e.type, e.version, e.success])).toEqual([
      ['secret.create', 1, true],
      ['secret.stage', 2, true],
      ['secret.rotate', 2, true],
    ]);
  });

  it('leaves the current version alone when the handler fails, and retries with backoff', async () => {
    const events: VaultEvent[] = [];
    const { vault, clock, tenant } = ctx.setup({ onEvent: (e) => void events.push(e) });
    await vault.setSecret('rot/fail', 'keep-me', { rotation: { everySeconds: 86_400 } });
    let fail = true;
    vault.registerRotationHandler('rot/fail', {
      create: async () => {
        if (fail) throw new TypeError('provider said no: sk-secret-in-message');
        return 'new-value';
      },
    });
    // Maintenance works across every tenant in the store, so the test counts only its own events.
    const failures = () => events.filter((e) => e.type === 'rotation.failed' && e.tenant === tenant).length;
    clock.advanceSeconds(86_400);
    await vault.runMaintenance();
    expect(failures()).toBe(1);
    const secret = await vault.getSecret('rot/fail');
    expect([secret.value, secret.version, secret.latestVersion]).toEqual(['keep-me', 1, 1]);
    const failed = events.find((e) => e.type === 'rotation.failed' && e.tenant === tenant);
    expect(failed).toMatchObject({ stage: 'create', error: 'TypeError', attempt: 1 });
    expect(JSON.stringify(events)).not.toContain('sk-secret-in-message');
    const [failure] = await allEvents(vault, { path: 'rot/fail', type: 'secret.rotate' });
    expect(failure).toMatchObject({ success: false, error: 'rotation_failed', details: { stage: 'create', error: 'TypeError' } });
    // Not due again until the backoff passes: one minute after the first failure, two after the second.
    await vault.runMaintenance();
    expect(failures()).toBe(1);
    clock.advanceSeconds(60);
    await vault.runMaintenance();
    expect(failures()).toBe(2);
    clock.advanceSeconds(119);
    await vault.runMaintenance();
    expect(failures()).toBe(2);
    fail = false;
    clock.advanceSeconds(1);
    await vault.runMaintenance();
    expect((await vault.getSecret('rot/fail')).value).toBe('new-value');
    const record = await storedSecret(ctx.fixture().storage, tenant, 'rot/fail');
    expect(record?.rotation).toMatchObject({ failures: 0, nextAt: clock.now() + 86_400_000 });
  });

  it('discards a pending version that fails its test; never keeps two pending versions', async () => {
    const { vault, storage, tenant, backdoor } = ctx.setup();
    await vault.setSecret('rot/test', 'good', { type: 'db_credential' });
    let healthy = false;
    vault.registerRotationHandler('db_credential', {
      create: async () => (healthy ? 'fresh-good' : 'fresh-bad'),
      test: async ({ pendingValue }) => {
        if (pendingValue === 'fresh-bad') throw new Error('cannot connect');
      },
    });
    const error = await vault.rotateNow('rot/test').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentVaultError);
    expect((error as AgentVaultError).details).toEqual({ stage: 'test' });
    const afterFailure = await storedSecret(storage, tenant, 'rot/test');
    expect([afterFailure?.currentVersion, afterFailure?.latestVersion, afterFailure?.pendingVersion]).toEqual([1, 2, null]);
    await expect(vault.getSecret('rot/test', { version: 2 })).rejects.toBeInstanceOf(AgentVaultGoneError);
    expect((await vault.getSecret('rot/test')).value).toBe('good');
    healthy = true;
    expect(await vault.rotateNow('rot/test')).toMatchObject({ newVersion: 3, oldVersion: 1 });
    expect((await vault.getSecret('rot/test')).value).toBe('fresh-good');

    // Adapter contract: one pending version at a time.
    const template = (await backdoor.readVersion({ tenant, path: 'rot/test', version: 3 }))!;
    const stage = (n: number) =>
      storage.writeVersion({
        mode: 'stage',
        version: { ...template, version: n },
        expectedCurrentVersion: 3,
        patch: {},
        retirePreviousAt: null,
        event: testEvent(tenant, 'rot/test', n),
      });
    await stage(4);
    await expect(stage(5)).rejects.toBeInstanceOf(AgentVaultConflictError);
    await expect(stage(4)).rejects.toBeInstanceOf(AgentVaultConflictError);
    const staged = await storedSecret(storage, tenant, 'rot/test');
    expect([staged?.currentVersion, staged?.latestVersion, staged?.pendingVersion]).toEqual([3, 4, 4]);
    expect((await vault.getSecret('rot/test')).version).toBe(3);
    // An untested pending version never becomes current by a rollback.
    await expect(vault.rollbackSecret('rot/test', 4)).rejects.toBeInstanceOf(AgentVaultConflictError);
    expect((await vault.getSecret('rot/test')).version).toBe(3);
  });

  it('lets one instance rotate a secret at a time', async () => {
    const h = ctx.setup();
    const other = h.another({ storage: await second() });
    await h.vault.setSecret('rot/lease', 'v1', { type: 'oauth_token' });
    const release = gate();
    const inHandler = gate();
    let creates = 0;
    const handler: RotationHandler = {
      create: async () => {
        creates++;
        inHandler.open();
        await release.opened;
        return 'v2';
      },
    };
    h.vault.registerRotationHandler('oauth_token', handler);
    other.registerRotationHandler('oauth_token', handler);
    const first = h.vault.rotateNow('rot/lease');
    await inHandler.opened;
    await expect(other.rotateNow('rot/lease')).rejects.toBeInstanceOf(AgentVaultConflictError);
    release.open();
    expect(await first).toMatchObject({ newVersion: 2 });
    expect(creates).toBe(1);
  });

  it('resumes a rotation whose instance died after staging, and the late instance gives way', async () => {
    const h = ctx.setup();
    const other = h.another({ storage: await second() });
    await h.vault.setSecret('crash/key', 'v1', { rotation: { everySeconds: 7200 } });
    const stuck = gate();
    const staged = gate();
    h.vault.registerRotationHandler('crash/*', {
      create: async () => 'staged-by-the-dead',
      test: () => {
        staged.open();
        return stuck.opened;
      },
    });
    const tested: string[] = [];
    other.registerRotationHandler('crash/*', {
      create: async () => 'should-not-be-made',
      test: async ({ pendingValue }) => void tested.push(pendingValue),
    });
    const dying = h.vault.rotateNow('crash/key');
    await staged.opened;
    expect((await storedSecret(h.storage, h.tenant, 'crash/key'))?.pendingVersion).toBe(2);
    // The lease expires; another instance's maintenance resumes from the pending version.
    h.clock.advanceSeconds(7200);
    await other.runMaintenance();
    expect(tested).toEqual(['staged-by-the-dead']);
    expect((await other.getSecret('crash/key')).value).toBe('staged-by-the-dead');
    stuck.open();
    await expect(dying).rejects.toBeInstanceOf(AgentVaultConflictError);
    const settled = await storedSecret(h.storage, h.tenant, 'crash/key');
    expect([settled?.currentVersion, settled?.latestVersion, settled?.pendingVersion]).toEqual([2, 2, null]);
  });

  it('gives way to a write that lands while a rotation is being tested', async () => {
    const { vault, storage, tenant } = ctx.setup();
    await vault.setSecret('rot/race', 'v1', { type: 'payment_credential' });
    const hold = gate();
    const testing = gate();
    vault.registerRotationHandler('payment_credential', {
      create: async () => 'rotated',
      test: () => {
        testing.open();
        return hold.opened;
      },
    });
    const rotating = vault.rotateNow('rot/race');
    await testing.opened;
    await vault.setSecret('rot/race', 'written-by-a-person');
    hold.open();
    await expect(rotating).rejects.toBeInstanceOf(AgentVaultConflictError);
    expect((await vault.getSecret('rot/race')).value).toBe('written-by-a-person');
    const record = await storedSecret(storage, tenant, 'rot/race');
    expect([record?.currentVersion, record?.pendingVersion]).toEqual([3, null]);
    await expect(vault.getSecret('rot/race', { version: 2 })).rejects.toBeInstanceOf(AgentVaultGoneError);
  });

  it('prefers a path handler over a type handler, and reports a secret without one', async () => {
    const events: VaultEvent[] = [];
    const { vault } = ctx.setup({ onEvent: (e) => void events.push(e) });
    await vault.setSecret('pay/stripe/key', 'v1', { type: 'api_key' });
    await vault.setSecret('other/key', 'v1', { type: 'custom' });
    vault.registerRotationHandler('api_key', counter('by-type'));
    const byPath = counter('by-path');
    const unregister = vault.registerRotationHandler('pay/stripe/*', byPath);
    await vault.rotateNow('pay/stripe/key');
    expect(byPath.made).toEqual(['by-path-1']);
    unregister();
    await vault.rotateNow('pay/stripe/key');
    expect((await vault.getSecret('pay/stripe/key')).value).toBe('by-type-1');
    await expect(vault.rotateNow('other/key')).rejects.toBeInstanceOf(AgentVaultError);
    expect(events.find((e) => e.type === 'rotation.failed')).toMatchObject({ stage: 'no_handler', path: 'other/key' });
  });

  it('runs due rotations once when two instances run maintenance together', async () => {
    const h = ctx.setup();
    const other = h.another({ storage: await second() });
    const handlerA = counter('a');
    const handlerB = counter('b');
    h.vault.registerRotationHandler('due/*', handlerA);
    other.registerRotationHandler('due/*', handlerB);
    for (const name of ['one', 'two', 'three']) {
      await h.vault.setSecret(`due/${name}`, 'v1', { rotation: { everySeconds: 3600 } });
    }
    const made = () => handlerA.made.length + handlerB.made.length;
    h.clock.advanceSeconds(1800);
    await h.vault.runMaintenance();
    expect(made()).toBe(0);
    h.clock.advanceSeconds(1800);
    await Promise.all([h.vault.runMaintenance(), other.runMaintenance()]);
    expect(made()).toBe(3);
    for (const name of ['one', 'two', 'three']) expect((await h.vault.listVersions(`due/${name}`)).length).toBe(2);
    await h.vault.runMaintenance();
    expect(made()).toBe(3);
  });

  it('purges the trash past its retention and never a restored secret', async () => {
    const events: VaultEvent[] = [];
    const { vault, clock, backdoor, tenant, storage } = ctx.setup({ onEvent: (e) => void events.push(e) });
    await vault.setSecret('trash/old', 'v');
    await vault.setSecret('trash/back', 'v');
    await vault.deleteSecret('trash/old');
    await vault.deleteSecret('trash/back');
    const purged = () => events.flatMap((e) => (e.type === 'secret.purged' && e.tenant === tenant ? [e.path] : []));
    clock.advance(30 * DAY - 1);
    await vault.runMaintenance();
    expect(purged()).toEqual([]);
    await vault.restoreSecret('trash/back');
    clock.advance(1);
    await vault.runMaintenance();
    expect(purged()).toEqual(['trash/old']);
    expect(await backdoor.readVersion({ tenant, path: 'trash/old', version: 1 })).toBeNull();
    expect((await vault.getSecret('trash/back')).value).toBe('v');
    await vault.createSecret({ path: 'trash/old', value: 'new life' });
    // A purge never destroys a secret that is not trashed and due.
    expect((await vault.runMaintenance(clock.now() + 365 * DAY)).purged).toBe(0);
    expect(await storedSecret(storage, tenant, 'trash/back')).not.toBeNull();
  });

  it('expires undecided approval requests once', async () => {
    const events: VaultEvent[] = [];
    const h = ctx.setup({ onEvent: (e) => void events.push(e) });
    const other = h.another({ storage: await second() });
    await h.vault.setSecret('apr/crit', 'v', { tier: 'critical' });
    const { approvalRequestId: id } = await h.vault.requestToken({ scope: 'secrets:read:apr/*' }, { actor: 'requester' });
    const expired = () => events.filter((e) => e.type === 'approval.expired' && e.approvalId === id).length;
    h.clock.advance(DAY);
    await Promise.all([h.vault.runMaintenance(), other.runMaintenance()]);
    expect((await storedRecord(h.storage, 'approval', h.tenant, id!))?.status).toBe('expired');
    expect(expired()).toBe(1);
    await expect(
      h.vault.approve(id!, {}, { principal: { kind: 'user', id: 'alice', tenant: h.tenant, roles: ['approver'] } }),
    ).rejects.toBeInstanceOf(AgentVaultConflictError);
    await h.vault.runMaintenance();
    expect(expired()).toBe(1);
  });

  it('warns once at 7 days and once at 1 day before expiry, across instances, and again for a new date', async () => {
    const events: VaultEvent[] = [];
    const h = ctx.setup({ onEvent: (e) => void events.push(e) });
    const other = h.another({ storage: await second() });
    const warnings = () => events.flatMap((e) => (e.type === 'secret.expiring' && e.tenant === h.tenant ? [e.warning] : []));
    await h.vault.setSecret('exp/ten', 'v', { expiresInDays: 10 });
    await h.vault.setSecret('exp/half', 'v', { expiresAt: new Date(h.clock.now() + 12 * HOUR) });
    const run = () => Promise.all([h.vault.runMaintenance(), other.runMaintenance()]);
    await run();
    expect(warnings()).toEqual(['1d']); // exp/half is already inside a day: no 7-day warning
    h.clock.advance(3.5 * DAY);
    await run();
    await run();
    expect(warnings()).toEqual(['1d', '7d']);
    h.clock.advance(5.6 * DAY);
    await run();
    await run();
    expect(warnings()).toEqual(['1d', '7d', '1d']);
    await h.vault.updateSecret('exp/ten', { expiresAt: new Date(h.clock.now() + 3 * DAY) });
    await run();
    expect(warnings()).toEqual(['1d', '7d', '1d', '7d']);
    const audited = await allEvents(h.vault, { type: 'secret.expiring', path: 'exp/ten' });
    expect(audited).toHaveLength(3);
    expect(audited.every((e) => e.actor === 'app:maintenance')).toBe(true);
  });
}

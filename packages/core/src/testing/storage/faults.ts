import { afterAll, expect, it } from 'vitest';
import { AgentVaultError, AgentVaultUnavailableError } from '../../errors';
import type { Vault } from '../../vault/create-vault';
import { faultyKeyWrapper, faultyStorage, tenantSnapshot } from '../faults';
import type { Harness, SuiteContext } from './context';
import { storedRecord, storedSecret } from './fixtures';

/** One public operation, with the world it needs. */
interface Scenario {
  name: string;
  /** Build the world the operation runs in (with the harness's own vault). */
  prepare?: (h: Harness) => Promise<Record<string, string>>;
  /** The operation, on a vault whose storage or keys may fail. */
  run: (vault: Vault, world: Record<string, string>) => Promise<unknown>;
  /** Runs as a scoped token: its remaining uses may drop on a failed attempt, by design. */
  token?: boolean;
  /**
   * A multi-step operation (each step atomic on its own): a failure may leave earlier steps done,
   * so instead of an unchanged state, a clean re-run must bring it to this settled state.
   */
  settled?: (h: Harness, world: Record<string, string>) => Promise<void>;
  /** The last N calls, whose failure the operation survives by design (it has done its work; e.g. a lease release). */
  survivesLast?: number;
}

const seeded = (tier: 'standard' | 'critical' = 'standard') => async (h: Harness) => {
  await h.vault.setSecret('f/key', 'value-one', { tier });
  await h.vault.setSecret('f/key', 'value-two');
  return {};
};

const withToken = (scope: string, maxUses: number | null = null) => async (h: Harness) => {
  await seeded()(h);
  const token = await h.vault.requestToken({ scope, maxUses });
  return { token: token.value! };
};

const pendingApproval = async (h: Harness) => {
  await seeded('critical')(h);
  const pending = await h.vault.requestToken({ scope: 'secrets:read:f/*' }, { actor: 'requester' });
  return { approval: pending.approvalRequestId!, tenant: h.tenant };
};

const approver = (tenant: string | undefined) => ({
  principal: { kind: 'user' as const, id: 'alice', tenant: tenant!, roles: ['approver' as const] },
});

/** Every single-call-atomic public operation: a failure anywhere must leave storage as it was. */
const SCENARIOS: Scenario[] = [
  { name: 'createSecret', run: (v) => v.createSecret({ path: 'f/new', value: 'created', tier: 'sensitive' }) },
  { name: 'setSecret (create)', run: (v) => v.setSecret('f/new', 'created') },
  { name: 'setSecret (update)', prepare: seeded(), run: (v) => v.setSecret('f/key', 'value-three', { tags: { a: 'b' } }) },
  { name: 'updateSecret (metadata)', prepare: seeded(), run: (v) => v.updateSecret('f/key', { tier: 'critical', expiresInDays: 3 }) },
  { name: 'getSecret', prepare: seeded(), run: (v) => v.getSecret('f/key') },
  { name: 'getSecret by version', prepare: seeded(), run: (v) => v.getSecret('f/key', { version: 1 }) },
  { name: 'getSecret with a token', prepare: withToken('secrets:read:f/*', 3), run: (v, w) => v.getSecret('f/key', { token: w.token! }), token: true },
  { name: 'setSecret with a token', prepare: withToken('secrets:write:f/*', 3), run: (v, w) => v.setSecret('f/key', 'by-token', { token: w.token! }), token: true },
  { name: 'listSecrets', prepare: seeded(), run: (v) => v.listSecrets('f') },
  { name: 'listVersions', prepare: seeded(), run: (v) => v.listVersions('f/key') },
  { name: 'rollbackSecret', prepare: seeded(), run: (v) => v.rollbackSecret('f/key', 1) },
  { name: 'rotateSecret', prepare: seeded(), run: (v) => v.rotateSecret('f/key', 'rotated', { gracePeriodSeconds: 60 }) },
  { name: 'deleteSecret', prepare: seeded(), run: (v) => v.deleteSecret('f/key') },
  { name: 'deleteSecret (permanent)', prepare: seeded(), run: (v) => v.deleteSecret('f/key', { permanent: true }) },
  {
    name: 'restoreSecret',
    prepare: async (h) => {
      await seeded()(h);
      await h.vault.deleteSecret('f/key');
      return {};
    },
    run: (v) => v.restoreSecret('f/key'),
  },
  { name: 'importEnv (one entry)', run: (v) => v.importEnv('ONLY=one', { namespace: 'f' }) },
  {
    name: 'importEnv (three entries)',
    run: (v) => v.importEnv('A=one\nB=two\nC=three', { namespace: 'f' }),
    settled: async (h) => {
      for (const [key, value] of [['A', 'one'], ['B', 'two'], ['C', 'three']]) {
        expect((await h.vault.getSecret(`f/${key}`)).value).toBe(value);
      }
    },
  },
  { name: 'requestToken (issued)', prepare: seeded(), run: (v) => v.requestToken({ scope: 'secrets:read:f/*' }) },
  { name: 'requestToken (pending)', prepare: seeded('critical'), run: (v) => v.requestToken({ scope: 'secrets:read:f/*' }) },
  {
    // The token is revoked before its children are listed (so no child can be minted meanwhile):
    // a failure after that leaves it revoked and a re-run revokes the rest.
    name: 'revokeToken (with a child)',
    prepare: async (h) => {
      const parent = await h.vault.requestToken({ scope: 'secrets:read:f/*' });
      const child = await h.vault.requestToken({ scope: 'secrets:read:f/key' }, { token: parent.value! });
      return { id: parent.id!, child: child.id! };
    },
    run: (v, w) => v.revokeToken(w.id!),
    settled: async (h, w) => {
      for (const id of [w.id!, w.child!]) {
        expect((await storedRecord(h.storage, 'token', h.tenant, id))?.revokedAt).not.toBeNull();
      }
    },
  },
  { name: 'approve', prepare: pendingApproval, run: (v, w) => v.approve(w.approval!, {}, approver(w.tenant)) },
  { name: 'deny', prepare: pendingApproval, run: (v, w) => v.deny(w.approval!, {}, approver(w.tenant)) },
  {
    name: 'getApproval (claims the token)',
    prepare: async (h) => {
      const world = await pendingApproval(h);
      await h.vault.approve(world.approval, {}, approver(h.tenant));
      return world;
    },
    run: (v, w) => v.getApproval(w.approval!, { actor: 'requester' }),
  },
  { name: 'createAgentKey', run: (v) => v.createAgentKey({ roles: ['approver'] }) },
  {
    // The key is revoked before the tokens it minted are listed (so none can be minted meanwhile):
    // a failure after that leaves it revoked and a re-run revokes the rest.
    name: 'revokeAgentKey',
    prepare: async (h) => {
      const key = await h.vault.createAgentKey({ roles: ['admin'] });
      const token = await h.vault.requestToken({ scope: 'secrets:read:f/*' }, { token: key.value });
      return { id: key.id, child: token.id! };
    },
    run: (v, w) => v.revokeAgentKey(w.id!),
    settled: async (h, w) => {
      expect((await storedRecord(h.storage, 'agent_key', h.tenant, w.id!))?.revokedAt).not.toBeNull();
      expect((await storedRecord(h.storage, 'token', h.tenant, w.child!))?.revokedAt).not.toBeNull();
    },
  },
  {
    // Staged: a failure may leave a pending version or the lease behind; a later run resumes.
    name: 'rotateNow',
    prepare: seeded(),
    // The rotation is complete when the lease is released; a failed release only delays the next one.
    survivesLast: 2, // the lease release: read it, delete it

    run: (v) => {
      v.registerRotationHandler('f/*', { create: async () => 'rotated-value', test: async () => undefined });
      return v.rotateNow('f/key');
    },
    settled: async (h) => {
      const record = await storedSecret(h.storage, h.tenant, 'f/key');
      expect([record?.pendingVersion, (await h.vault.getSecret('f/key')).value]).toEqual([null, 'rotated-value']);
    },
  },
  { name: 'queryAudit', prepare: seeded(), run: (v) => v.queryAudit({ limit: 5 }) },
  { name: 'verifyAudit', prepare: seeded(), run: (v) => v.verifyAudit() },
];

async function failureEvents(vault: Vault): Promise<number> {
  return (await vault.queryAudit({ success: false, limit: 1000 })).events.length;
}

export function faultTests(ctx: SuiteContext): void {
  let injected = 0;
  afterAll(() => {
    const adapter = ctx.fixture().storage.name;
    if (injected > 0) console.log(`fault injection (${adapter}): ${injected} storage failure points, ${SCENARIOS.length} operations`);
  });

  it.each(SCENARIOS.map((s) => [s.name, s] as const))(
    'leaves storage as it was when any storage call of %s fails, and audits the failure',
    async (_name, scenario) => {
      // A clean run records the calls the operation makes.
      const clean = ctx.setup();
      const cleanWorld = (await scenario.prepare?.(clean)) ?? {};
      const recorder = faultyStorage(clean.storage);
      await scenario.run(clean.another({ storage: recorder }), cleanWorld);
      const calls = recorder.calls.length;
      expect(calls).toBeGreaterThan(0);

      for (let k = 1; k <= calls; k++) {
        const h = ctx.setup();
        const world = (await scenario.prepare?.(h)) ?? {};
        const before = await tenantSnapshot(h.storage, h.backdoor, h.tenant, { uses: !scenario.token });
        const failuresBefore = await failureEvents(h.vault);
        const storage = faultyStorage(h.storage, { failOn: k });
        const outcome = await scenario.run(h.another({ storage }), world).then(
          () => 'resolved',
          (error: unknown) => error,
        );
        const where = `${scenario.name}: call ${k} (${storage.failed})`;
        injected++;
        if (scenario.survivesLast && k > calls - scenario.survivesLast) {
          expect(outcome, `${where}: the operation should have survived`).toBe('resolved');
          await scenario.settled?.(h, world);
          continue;
        }
        expect(outcome, `${where} failed, the operation did not`).toBeInstanceOf(AgentVaultError);
        if (scenario.settled) {
          h.clock.advanceSeconds(600); // past any lease the failed attempt left behind
          await scenario.run(h.vault, world);
          await scenario.settled(h, world);
        } else {
          expect(await tenantSnapshot(h.storage, h.backdoor, h.tenant, { uses: !scenario.token }), where).toBe(before);
        }
        expect(await failureEvents(h.vault), `${where} was not audited`).toBeGreaterThan(failuresBefore);
        expect((await h.vault.verifyAudit()).ok).toBe(true);
      }
    },
    120_000,
  );

  it('surfaces a maintenance failure in any of its storage calls, and the next pass settles the work', async () => {
    const world = async () => {
      const h = ctx.setup();
      await h.vault.setSecret('m/trashed', 'v');
      await h.vault.deleteSecret('m/trashed');
      await h.vault.setSecret('m/critical', 'v', { tier: 'critical' });
      const { approvalRequestId } = await h.vault.requestToken({ scope: 'secrets:read:m/critical' }, { actor: 'requester' });
      await h.vault.setSecret('m/expiring', 'v', { expiresInDays: 40 });
      await h.vault.setSecret('m/rotating', 'v1', { rotation: { everySeconds: 86_400 * 30 } });
      h.clock.advanceSeconds(86_400 * 35);
      return { h, approvalRequestId: approvalRequestId! };
    };
    const handler = { create: async () => 'v2' };
    const clean = await world();
    const recorder = faultyStorage(clean.h.storage);
    const recording = clean.h.another({ storage: recorder });
    recording.registerRotationHandler('m/rotating', handler);
    const report = await recording.runMaintenance();
    // Maintenance is store-wide: other tests' tenants may add work of their own.
    expect(report.errors).toBe(0);
    expect([report.purged, report.approvalsExpired, report.warnings, report.rotations.rotated].every((n) => n >= 1)).toBe(true);
    const calls = [...recorder.calls];
    for (let k = 1; k <= calls.length; k++) {
      const { h, approvalRequestId } = await world();
      const logged: string[] = [];
      const storage = faultyStorage(h.storage, { failOn: k });
      const faulty = h.another({ storage, logger: { warn() {}, error: (message) => void logged.push(message) } });
      faulty.registerRotationHandler('m/rotating', handler);
      const noticed = await faulty.runMaintenance().then(
        (r) => r.errors + r.rotations.failed + logged.length,
        (error: unknown) => (error instanceof AgentVaultError ? 1 : 0),
      );
      expect(noticed, `a failure in call ${k} (${calls[k - 1]}) went unnoticed`).toBeGreaterThan(0);
      h.clock.advanceSeconds(3600); // past the rotation retry delay and any lease
      h.vault.registerRotationHandler('m/rotating', handler);
      await h.vault.runMaintenance();
      expect(await storedSecret(h.storage, h.tenant, 'm/trashed')).toBeNull();
      expect((await storedRecord(h.storage, 'approval', h.tenant, approvalRequestId))?.status).toBe('expired');
      expect((await h.vault.queryAudit({ type: 'secret.expiring', path: 'm/expiring', success: true })).events).toHaveLength(1);
      expect((await h.vault.getSecret('m/rotating')).value).toBe('v2');
      expect((await h.vault.verifyAudit()).ok).toBe(true);
    }
  }, 120_000);

  it('writes nothing when the key service fails while sealing; a failed open changes only the access time', async () => {
    const h = ctx.setup();
    await h.vault.setSecret('f/key', 'value-one');
    const before = await tenantSnapshot(h.storage, h.backdoor, h.tenant);
    const beforeApartFromAccess = await tenantSnapshot(h.storage, h.backdoor, h.tenant, { accessed: false });
    const failuresBefore = await failureEvents(h.vault);
    const sealing = () =>
      h.another({ keys: faultyKeyWrapper(h.keys, { method: /^(wrap|generateDataKey)$/, failOn: 1 }) });
    await expect(sealing().setSecret('f/key', 'value-two')).rejects.toBeInstanceOf(AgentVaultUnavailableError);
    await expect(sealing().createSecret({ path: 'f/new', value: 'x' })).rejects.toBeInstanceOf(AgentVaultUnavailableError);
    await expect(sealing().rotateSecret('f/key', 'x')).rejects.toBeInstanceOf(AgentVaultUnavailableError);
    expect(await tenantSnapshot(h.storage, h.backdoor, h.tenant)).toBe(before);
    // The audited read reaches storage before the data key is unwrapped: the read is recorded (and
    // touches accessedAt), then the failure; no value is returned.
    const opening = h.another({ keys: faultyKeyWrapper(h.keys, { method: 'unwrap', failOn: 1 }) });
    await expect(opening.getSecret('f/key')).rejects.toBeInstanceOf(AgentVaultUnavailableError);
    expect(await tenantSnapshot(h.storage, h.backdoor, h.tenant, { accessed: false })).toBe(beforeApartFromAccess);
    expect(await failureEvents(h.vault)).toBe(failuresBefore + 4);
    expect((await h.vault.verifyAudit()).ok).toBe(true);
  });
}

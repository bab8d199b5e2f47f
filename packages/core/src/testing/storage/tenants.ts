import { expect, it } from 'vitest';
import { AgentVaultPermissionError } from '../../errors';
import type { SuiteContext } from './context';
import { testDraft } from './fixtures';

export function tenantTests(ctx: SuiteContext): void {
  it('keeps tenants apart: same path, separate values, lists, audit, tokens and approvals', async () => {
    const a = ctx.setup();
    const b = ctx.setup({ keys: a.keys });
    await a.vault.setSecret('shared/key', 'value-of-a');
    await b.vault.setSecret('shared/key', 'value-of-b');
    await b.vault.setSecret('shared/only-b', 'b');
    expect((await a.vault.getSecret('shared/key')).value).toBe('value-of-a');
    expect((await b.vault.getSecret('shared/key')).value).toBe('value-of-b');
    expect((await a.vault.listSecrets('shared')).items.map((i) => i.path)).toEqual(['shared/key']);
    expect((await a.vault.queryAudit({ path: 'shared/only-b' })).events).toEqual([]);

    // A token belongs to its tenant, whichever vault object it is presented to.
    const token = await a.vault.requestToken({ scope: 'secrets:read:shared/*' });
    expect((await b.vault.getSecret('shared/key', { token: token.value! })).value).toBe('value-of-a');
    await expect(
      b.vault.getSecret('shared/key', { token: token.value!, tenant: b.tenant }),
    ).rejects.toBeInstanceOf(AgentVaultPermissionError);

    const storage = a.storage;
    const secretKey = (tenant: string) => ({ kind: 'secret' as const, tenant, path: 'shared/only-b' });
    const [inB, inA, tokenInB] = await storage.getRecords([
      secretKey(b.tenant),
      secretKey(a.tenant),
      { kind: 'token', tenant: b.tenant, id: token.id! },
    ]);
    expect(inB).not.toBeNull();
    expect(inA).toBeNull();
    expect(tokenInB).toBeNull();
    // The audited read names its token by id within its tenant: another tenant's token is unknown there.
    const read = await storage.readSecret({
      tenant: b.tenant,
      path: 'shared/key',
      version: null,
      now: a.clock.now(),
      maxTier: null,
      token: { id: token.id! },
      event: testDraft(b.tenant, 'shared/key'),
    });
    expect(read.outcome).toBe('token_revoked');
    expect(
      (
        await storage.listSecrets({
          tenant: a.tenant,
          namespace: '',
          afterPath: null,
          limit: 10,
          trashed: false,
        })
      ).total,
    ).toBe(1);
    await a.vault.setSecret('crit/key', 'v', { tier: 'critical' });
    const request = await a.vault.requestToken({ scope: 'secrets:read:crit/*' });
    expect(await storage.getRecords([{ kind: 'approval', tenant: b.tenant, id: request.approvalRequestId! }])).toEqual([null]);
    expect(await storage.listRecords({ kind: 'approval', tenant: b.tenant, afterId: null, limit: 10 })).toEqual([]);
    expect(await storage.listRecords({ kind: 'approval', tenant: a.tenant, afterId: null, limit: 10 })).toHaveLength(1);
    const eventsB = await storage.readAudit({ tenant: b.tenant, afterSeq: 0, limit: 1000 });
    expect(eventsB.every((e) => e.tenant === b.tenant)).toBe(true);
    expect(eventsB.some((e) => e.path === 'crit/key')).toBe(false);
  });
}

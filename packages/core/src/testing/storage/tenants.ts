import { expect, it } from 'vitest';
import { AgentVaultPermissionError } from '../../errors';
import type { SuiteContext } from './context';

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
    expect(await storage.getSecret(b.tenant, 'shared/only-b')).not.toBeNull();
    expect(await storage.getSecret(a.tenant, 'shared/only-b')).toBeNull();
    expect(await storage.getToken(b.tenant, token.id!)).toBeNull();
    expect((await storage.useToken({ tenant: b.tenant, id: token.id!, now: a.clock.now() })).outcome).toBe(
      'token_revoked',
    );
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
    expect(await storage.getApproval(b.tenant, request.approvalRequestId!)).toBeNull();
    expect(await storage.listApprovals({ tenant: b.tenant, afterId: null, limit: 10 })).toEqual([]);
    const headsB = await storage.auditHeads(b.tenant);
    const eventsB = (
      await Promise.all(
        headsB.map((h) =>
          storage.readAuditChain({ tenant: b.tenant, chain: h.chain, afterSeq: 0, limit: 1000 }),
        ),
      )
    ).flat();
    expect(eventsB.every((e) => e.tenant === b.tenant)).toBe(true);
    expect(eventsB.some((e) => e.path === 'crit/key')).toBe(false);
  });
}

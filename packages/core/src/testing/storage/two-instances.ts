import { expect, it } from 'vitest';
import type { StorageAdapter } from '../../contracts/storage';
import { AgentVaultAuthError, AgentVaultConflictError } from '../../errors';
import type { SuiteContext } from './context';

/** Races between two vault instances on one backend, as when an app runs on several machines. */
export function twoInstanceTests(ctx: SuiteContext): void {
  let twin: StorageAdapter | undefined;
  const second = async () => {
    twin ??= (await ctx.fixture().twin?.()) ?? ctx.fixture().storage;
    return twin;
  };

  it('keeps 100 updates split across two instances contiguous', async () => {
    const h = ctx.setup();
    const other = h.another({ storage: await second() });
    await h.vault.setSecret('two/key', 'v0');
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        (i % 2 === 0 ? h.vault : other).updateSecret('two/key', { value: `v${i + 1}` }),
      ),
    );
    const versions = await other.listVersions('two/key');
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
  }, 60_000);

  it('lets exactly one instance use a single-use token', async () => {
    const h = ctx.setup();
    const other = h.another({ storage: await second() });
    await h.vault.setSecret('two/once', 'v');
    const token = await h.vault.requestToken({ scope: 'secrets:read:two/*', maxUses: 1 });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? h.vault : other).getSecret('two/once', { token: token.value! }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 'rejected' && r.reason instanceof AgentVaultAuthError),
    ).toHaveLength(19);
  });

  it('records one decision when two instances decide one request', async () => {
    const h = ctx.setup();
    const other = h.another({ storage: await second() });
    await h.vault.setSecret('two/crit', 'v', { tier: 'critical' });
    const { approvalRequestId: id } = await h.vault.requestToken(
      { scope: 'secrets:read:two/*' },
      { actor: 'requester' },
    );
    const decide = (i: number) =>
      (i % 2 === 0 ? h.vault : other).approve(
        id!,
        {},
        { principal: { kind: 'user', id: `approver-${i}`, tenant: h.tenant, roles: ['approver'] } },
      );
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => decide(i)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 'rejected' && r.reason instanceof AgentVaultConflictError),
    ).toHaveLength(9);
    const settled = await other.getApproval(id!, { actor: 'viewer' });
    expect([settled.status, settled.decisions.length]).toEqual(['approved', 1]);
  });
}

import { expect, it } from 'vitest';
import type { ApprovalRecord, TokenRecord } from '../../contracts/records';
import type { Principal } from '../../domain/principals';
import {
  AgentVaultAuthError,
  AgentVaultConflictError,
  AgentVaultGoneError,
  AgentVaultPermissionError,
  AgentVaultValidationError,
} from '../../errors';
import type { VaultEvent } from '../../vault/events';
import type { SuiteContext } from './context';
import { allEvents } from './fixtures';

function approver(tenant: string, id: string): Principal {
  return { kind: 'user', id, tenant, roles: ['approver'] };
}

export function approvalTests(ctx: SuiteContext): void {
  it('holds a sensitive request for approval and hands the token to the requester once', async () => {
    const events: VaultEvent[] = [];
    const { vault, tenant } = ctx.setup({ onEvent: (e) => void events.push(e) });
    await vault.setSecret('prod/db/url', 'postgres://secret', { tier: 'sensitive' });
    const requester = { actor: 'orchestrator' };
    const pending = await vault.requestToken(
      { scope: 'secrets:read:prod/db/*', ttlSeconds: 900, description: 'batch run' },
      requester,
    );
    expect(pending).toMatchObject({ approvalStatus: 'pending', value: null, id: null });
    expect(pending.approvalRequestId).toMatch(/^apr_/);
    const id = pending.approvalRequestId!;
    expect(events.map((e) => e.type)).toEqual(['approval.requested']);

    const alice = approver(tenant, 'alice');
    await expect(vault.approve(id, {}, requester)).rejects.toBeInstanceOf(AgentVaultPermissionError);
    const decided = await vault.approve(id, { comment: 'batch #4821' }, { principal: alice });
    expect(decided).toMatchObject({
      status: 'approved',
      token: null,
      decisions: [{ decision: 'approve', by: 'user:alice', note: 'batch #4821' }],
    });
    expect((await vault.getApproval(id, { principal: alice })).token).toBeNull();

    const first = await vault.getApproval(id, requester);
    expect(first.token?.value).toMatch(/^ast_tok_/);
    expect(first.token).toMatchObject({
      approvalStatus: 'approved',
      approvedTier: 'sensitive',
      ttlSeconds: 900,
    });
    expect((await vault.getSecret('prod/db/url', { token: first.token!.value! })).value).toBe(
      'postgres://secret',
    );
    expect((await vault.getApproval(id, requester)).token).toBeNull();
    expect(events.map((e) => e.type)).toEqual(['approval.requested', 'approval.decided', 'token.issued']);
    expect(JSON.stringify(events)).not.toContain(first.token!.value!);
    await expect(vault.deny(id, {}, { principal: approver(tenant, 'bob') })).rejects.toBeInstanceOf(
      AgentVaultConflictError,
    );
  });

  it('settles 10 parallel decisions exactly once', async () => {
    const { vault, tenant } = ctx.setup();
    await vault.setSecret('race/crit', 'v', { tier: 'critical' });
    const { approvalRequestId: id } = await vault.requestToken(
      { scope: 'secrets:read:race/*' },
      { actor: 'requester' },
    );
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0
          ? vault.approve(id!, {}, { principal: approver(tenant, `a${i}`) })
          : vault.deny(id!, {}, { principal: approver(tenant, `a${i}`) }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 'rejected' && r.reason instanceof AgentVaultConflictError),
    ).toHaveLength(9);
    const final = await vault.getApproval(id!, { principal: approver(tenant, 'viewer') });
    expect(final.decisions).toHaveLength(1);
    expect(final.status).toBe(final.decisions[0]?.decision === 'approve' ? 'approved' : 'denied');
  });

  it('counts a quorum of distinct approvers', async () => {
    const { vault, tenant } = ctx.setup({ approvals: { requiredApprovals: { critical: 2 } } });
    await vault.setSecret('q/key', 'v', { tier: 'critical' });
    const { approvalRequestId: id } = await vault.requestToken(
      { scope: 'secrets:read:q/*', waiveApproval: true },
      { actor: 'requester' },
    );
    expect((await vault.approve(id!, {}, { principal: approver(tenant, 'alice') })).status).toBe('pending');
    await expect(vault.approve(id!, {}, { principal: approver(tenant, 'alice') })).rejects.toBeInstanceOf(
      AgentVaultConflictError,
    );
    expect((await vault.approve(id!, {}, { principal: approver(tenant, 'bob') })).status).toBe('approved');
  });

  it('hands the token out once under 10 concurrent claims', async () => {
    const { vault, tenant } = ctx.setup();
    await vault.setSecret('claim/key', 'v', { tier: 'sensitive' });
    const { approvalRequestId: id } = await vault.requestToken(
      { scope: 'secrets:read:claim/*' },
      { actor: 'requester' },
    );
    await vault.approve(id!, {}, { principal: approver(tenant, 'alice') });
    const looks = await Promise.all(
      Array.from({ length: 10 }, () => vault.getApproval(id!, { actor: 'requester' })),
    );
    expect(looks.filter((l) => l.token !== null)).toHaveLength(1);
    expect((await vault.listTokens()).items.filter((t) => t.approvalRequestId === id)).toHaveLength(1);
  });

  it('expires undecided requests, reports denials, and only approvers decide', async () => {
    const { vault, tenant, clock } = ctx.setup();
    await vault.setSecret('exp/key', 'v', { tier: 'critical' });
    const key = await vault.createAgentKey({ roles: ['admin'] });
    const asKey = { token: key.value };
    const { approvalRequestId: late } = await vault.requestToken({ scope: 'secrets:read:exp/*' }, asKey);
    await expect(vault.approve(late!, {}, asKey)).rejects.toBeInstanceOf(AgentVaultPermissionError);
    const token = await vault.requestToken({ scope: 'secrets:read:nope/*' });
    await expect(vault.approve(late!, {}, { token: token.value! })).rejects.toBeInstanceOf(
      AgentVaultPermissionError,
    );
    clock.advanceSeconds(86_400);
    expect((await vault.getApproval(late!, asKey)).status).toBe('expired');
    await expect(vault.approve(late!, {}, { principal: approver(tenant, 'alice') })).rejects.toBeInstanceOf(
      AgentVaultConflictError,
    );
    await expect(vault.waitForApproval(late!, { ...asKey, timeoutMs: 50 })).rejects.toBeInstanceOf(
      AgentVaultGoneError,
    );
    expect((await vault.listApprovals({ status: 'expired' })).items.map((a) => a.id)).toEqual([late]);

    const { approvalRequestId: denied } = await vault.requestToken({ scope: 'secrets:read:exp/*' }, asKey);
    await vault.deny(
      denied!,
      { reason: 'unexpected access pattern' },
      { principal: approver(tenant, 'alice') },
    );
    await expect(vault.waitForApproval(denied!, { ...asKey, timeoutMs: 50 })).rejects.toBeInstanceOf(
      AgentVaultPermissionError,
    );
    expect((await vault.getApproval(denied!, asKey)).decisions[0]?.note).toBe('unexpected access pattern');
    const decisions = await allEvents(vault, { type: ['approval.approve', 'approval.deny'] });
    expect(decisions.map((e) => [e.type, e.success])).toEqual([
      ['approval.deny', true],
      ['approval.approve', false],
      ['approval.approve', false],
      ['approval.approve', false],
    ]);
  });

  it('waits for an approval made elsewhere and returns the token', async () => {
    const { vault, tenant } = ctx.setup();
    await vault.setSecret('wait/key', 'v', { tier: 'critical' });
    const { approvalRequestId: id } = await vault.requestToken(
      { scope: 'secrets:read:wait/*' },
      { actor: 'requester' },
    );
    const waiting = vault.waitForApproval(id!, { actor: 'requester', pollIntervalMs: 20, timeoutMs: 10_000 });
    setTimeout(() => void vault.approve(id!, {}, { principal: approver(tenant, 'alice') }), 50);
    const token = await waiting;
    expect((await vault.getSecret('wait/key', { token: token.value!, actor: 'requester' })).value).toBe('v');
    const controller = new AbortController();
    const { approvalRequestId: other } = await vault.requestToken(
      { scope: 'secrets:read:wait/*' },
      { actor: 'requester' },
    );
    const aborted = vault.waitForApproval(other!, {
      actor: 'requester',
      signal: controller.signal,
      pollIntervalMs: 1000,
    });
    controller.abort(new Error('stop waiting'));
    await expect(aborted).rejects.toThrow('stop waiting');
  });

  it('asks approval for critical scopes even with a waiver, and honours a sensitive waiver only when allowed', async () => {
    const strict = ctx.setup();
    await strict.vault.setSecret('w/s', 'v', { tier: 'sensitive' });
    expect(
      (await strict.vault.requestToken({ scope: 'secrets:read:w/*', waiveApproval: true })).approvalStatus,
    ).toBe('pending');
    const lenient = ctx.setup({ approvals: { allowSensitiveWaiver: true } });
    await lenient.vault.setSecret('w/s', 'v', { tier: 'sensitive' });
    expect(
      (await lenient.vault.requestToken({ scope: 'secrets:read:w/*', waiveApproval: true })).approvalStatus,
    ).toBe('approved');
    await lenient.vault.setSecret('w/c', 'v', { tier: 'critical' });
    expect(
      (await lenient.vault.requestToken({ scope: 'secrets:read:w/*', waiveApproval: true })).approvalStatus,
    ).toBe('pending');
    expect((await lenient.vault.requestToken({ scope: 'secrets:list:w/*' })).approvalStatus).toBe('approved');
  });

  it('counts parallel approvals towards a quorum of two', async () => {
    const { vault, tenant } = ctx.setup({ approvals: { requiredApprovals: { critical: 2 } } });
    await vault.setSecret('pq/key', 'v', { tier: 'critical' });
    const { approvalRequestId: id } = await vault.requestToken({ scope: 'secrets:read:pq/*' }, { actor: 'requester' });
    const results = await Promise.all(
      ['alice', 'bob'].map((who) => vault.approve(id!, {}, { principal: approver(tenant, who) })),
    );
    expect(results.map((r) => r.status).sort()).toEqual(['approved', 'pending']);
    const final = await vault.getApproval(id!, { principal: approver(tenant, 'viewer') });
    expect(final.status).toBe('approved');
    expect(final.decisions.map((d) => d.by).sort()).toEqual(['user:alice', 'user:bob']);
  });

  it('refuses self-approval through a minted token: nobody in the request\'s chain decides it', async () => {
    const { vault, tenant, storage } = ctx.setup();
    await vault.setSecret('self/app/key', 'v');
    const key = await vault.createAgentKey({ roles: ['admin', 'approver'] });
    const token = await vault.requestToken({ scope: 'secrets:read:self/*' }, { token: key.value });
    const child = await vault.requestToken({ scope: 'secrets:read:self/*' }, { token: token.value! });
    await vault.setSecret('self/db/root', 'c', { tier: 'critical' });
    const fromToken = await vault.requestToken({ scope: 'secrets:read:self/db/*' }, { token: token.value! });
    const fromChild = await vault.requestToken({ scope: 'secrets:read:self/db/*' }, { token: child.value! });
    const [a, b] = await storage.getRecords([
      { kind: 'approval', tenant, id: fromToken.approvalRequestId! },
      { kind: 'approval', tenant, id: fromChild.approvalRequestId! },
    ]);
    expect((a!.record as ApprovalRecord).lineage).toEqual([`key:${key.id}`]);
    expect((b!.record as ApprovalRecord).lineage).toEqual([`token:${token.id}`, `key:${key.id}`]);
    for (const request of [fromToken, fromChild]) {
      await expect(vault.approve(request.approvalRequestId!, {}, { token: key.value })).rejects.toBeInstanceOf(
        AgentVaultPermissionError,
      );
      await expect(vault.deny(request.approvalRequestId!, {}, { token: key.value })).rejects.toBeInstanceOf(
        AgentVaultPermissionError,
      );
    }
    // A host-authenticated principal in the chain is refused the same way.
    const keyAsPrincipal = await vault.authenticate(key.value);
    await expect(vault.approve(fromChild.approvalRequestId!, {}, { principal: keyAsPrincipal })).rejects.toBeInstanceOf(
      AgentVaultPermissionError,
    );
    const outsider = await vault.createAgentKey({ roles: ['approver'] });
    expect((await vault.approve(fromChild.approvalRequestId!, {}, { token: outsider.value })).status).toBe('approved');
    const granted = (await vault.getApproval(fromChild.approvalRequestId!, { token: child.value! })).token!;
    expect((await vault.getSecret('self/db/root', { token: granted.value! })).value).toBe('c');
    const refused = await allEvents(vault, { type: ['approval.approve', 'approval.deny'], success: false });
    expect(refused.map((e) => e.error)).toEqual(Array(5).fill('permission_denied'));
  });

  it('claims an approved child only while its parent is live and has the uses it asks for', async () => {
    const { vault, tenant, storage } = ctx.setup();
    await vault.setSecret('cb/app/key', 'v');
    const parent = await vault.requestToken({ scope: 'secrets:read:cb/*', maxUses: 5 });
    await vault.setSecret('cb/db/root', 'c', { tier: 'critical' });
    await expect(
      vault.requestToken({ scope: 'secrets:read:cb/db/*', maxUses: 6 }, { token: parent.value! }),
    ).rejects.toBeInstanceOf(AgentVaultValidationError);
    const asParent = { token: parent.value! };
    const big = await vault.requestToken({ scope: 'secrets:read:cb/db/*', maxUses: 3 }, asParent);
    const small = await vault.requestToken({ scope: 'secrets:read:cb/db/*', maxUses: 2 }, asParent);
    for (const r of [big, small]) await vault.approve(r.approvalRequestId!, {}, { principal: approver(tenant, 'alice') });
    for (let i = 0; i < 3; i++) await vault.getSecret('cb/app/key', asParent);
    // 2 uses left: the 3-use child cannot be carved; the 2-use child can, leaving the parent empty.
    await expect(vault.getApproval(big.approvalRequestId!, asParent)).rejects.toBeInstanceOf(AgentVaultValidationError);
    const granted = (await vault.getApproval(small.approvalRequestId!, asParent)).token!;
    expect(granted.maxUses).toBe(2);
    const [stored] = await storage.getRecords([{ kind: 'token', tenant, id: parent.id! }]);
    expect((stored!.record as TokenRecord).usesRemaining).toBe(0);
    await expect(vault.getSecret('cb/app/key', asParent)).rejects.toBeInstanceOf(AgentVaultAuthError);
    expect((await vault.getApproval(big.approvalRequestId!, { principal: approver(tenant, 'alice') })).claimedAt).toBeNull();
  });

  it('leaves no live child when a revoke races 50 claims of approved children', async () => {
    const { vault, tenant, storage } = ctx.setup();
    await vault.setSecret('rc/app/key', 'v');
    const parent = await vault.requestToken({ scope: 'secrets:read:rc/*' });
    await vault.setSecret('rc/db/root', 'c', { tier: 'critical' });
    const asParent = { token: parent.value! };
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const pending = await vault.requestToken({ scope: 'secrets:read:rc/db/*' }, asParent);
      await vault.approve(pending.approvalRequestId!, {}, { principal: approver(tenant, 'alice') });
      ids.push(pending.approvalRequestId!);
    }
    const claim = (id: string) => vault.getApproval(id, asParent);
    const [early, revoke, late] = await Promise.all([
      Promise.allSettled(ids.slice(0, 25).map(claim)),
      vault.revokeToken(parent.id!),
      Promise.allSettled(ids.slice(25).map(claim)),
    ]);
    expect(revoke.revokedAt).not.toBeNull();
    const handedOut = [...early, ...late].flatMap((r) => (r.status === 'fulfilled' && r.value.token ? [r.value.token] : []));
    for (const token of handedOut) {
      await expect(vault.getSecret('rc/db/root', { token: token.value! })).rejects.toBeInstanceOf(AgentVaultAuthError);
    }
    const children = await storage.listRecords({ kind: 'token', tenant, afterId: null, limit: 100, where: { parentId: parent.id! } });
    expect(children.filter((c) => c.record.revokedAt === null)).toEqual([]);
    expect(children).toHaveLength(handedOut.length);
  });
}

import { expect, it } from 'vitest';
import type { TokenRecord } from '../../contracts/records';
import type { StorageAdapter } from '../../contracts/storage';
import {
  AgentVaultAuthError,
  AgentVaultConflictError,
  AgentVaultNotFoundError,
  AgentVaultPermissionError,
  AgentVaultValidationError,
} from '../../errors';
import type { ScopedToken } from '../../vault/access';
import type { SuiteContext } from './context';
import { allEvents, testEvent } from './fixtures';

async function tokenRecords(storage: StorageAdapter, tenant: string, ids: string[]): Promise<Array<TokenRecord | null>> {
  const stored = await storage.getRecords(ids.map((id) => ({ kind: 'token' as const, tenant, id })));
  return stored.map((s) => (s ? (s.record as TokenRecord) : null));
}

export function tokenTests(ctx: SuiteContext): void {
  it('issues a standard-tier token at once and reads only what its scope covers', async () => {
    const { vault } = ctx.setup();
    await vault.setSecret('production/openai/api-key', 'sk-openai');
    await vault.setSecret('production/openai-evil/x', 'evil');
    await vault.setSecret('production/stripe/api-key', 'sk-stripe');
    const token = await vault.requestToken({
      scope: 'secrets:read:production/openai/*',
      ttlSeconds: 600,
      description: 'inference agent',
    });
    expect(token).toMatchObject({
      approvalStatus: 'approved',
      approvalRequestId: null,
      scope: 'secrets:read:production/openai/*',
      ttlSeconds: 600,
    });
    expect(token.value).toMatch(/^ast_tok_/);
    expect((await vault.getSecret('production/openai/api-key', { token: token.value! })).value).toBe(
      'sk-openai',
    );
    for (const path of ['production/openai-evil/x', 'production/stripe/api-key']) {
      const error = await vault.getSecret(path, { token: token.value! }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AgentVaultPermissionError);
      expect((error as AgentVaultPermissionError).requiredScope).toBe(
        `secrets:read:${path.slice(0, path.lastIndexOf('/'))}/*`,
      );
    }
    await expect(
      vault.setSecret('production/openai/api-key', 'x', { token: token.value! }),
    ).rejects.toBeInstanceOf(AgentVaultPermissionError);
    await expect(vault.listSecrets('production', { token: token.value! })).rejects.toBeInstanceOf(
      AgentVaultPermissionError,
    );
    // A read grant implies listing the paths it covers (and no wider namespace).
    const listed = await vault.listSecrets('production/openai', { token: token.value! });
    expect(listed.items.map((i) => i.path)).toEqual(['production/openai/api-key']);
    const refusals = await allEvents(vault, { actor: `token:${token.id}`, success: false });
    expect(refusals.map((e) => [e.type, e.error])).toEqual([
      ['secret.list', 'permission_denied'],
      ['secret.update', 'permission_denied'],
      ['secret.read', 'permission_denied'],
      ['secret.read', 'permission_denied'],
    ]);
    expect(refusals[0]?.actorDescription).toBe('inference agent');
  });

  it('lets exactly one of 50 parallel reads use a single-use token', async () => {
    const { vault } = ctx.setup();
    await vault.setSecret('once/key', 'v');
    const token = await vault.requestToken({ scope: 'secrets:read:once/*', maxUses: 1 });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => vault.getSecret('once/key', { token: token.value! })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 'rejected' && r.reason instanceof AgentVaultAuthError),
    ).toHaveLength(49);
    expect(
      (await allEvents(vault, { type: 'secret.read', success: false })).every(
        (e) => e.error === 'token_exhausted',
      ),
    ).toBe(true);
  });

  it('lets exactly three of 50 parallel calls use a three-use token, across operations', async () => {
    const { vault } = ctx.setup();
    await vault.setSecret('thrice/key', 'v');
    const token = await vault.requestToken({ scope: 'secrets:*:thrice/*', maxUses: 3 });
    const calls = Array.from({ length: 50 }, (_, i) =>
      i % 2 === 0
        ? vault.getSecret('thrice/key', { token: token.value! })
        : vault.listSecrets('thrice', { token: token.value! }),
    );
    const results = await Promise.allSettled(calls);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect((await vault.listTokens()).items.find((t) => t.id === token.id)).toBeUndefined();
    expect(
      (await vault.listTokens({ activeOnly: false })).items.find((t) => t.id === token.id)?.usesRemaining,
    ).toBe(0);
  });

  it('refuses expired and revoked tokens, and a token above its approved tier', async () => {
    const { vault, clock } = ctx.setup();
    await vault.setSecret('t/key', 'v');
    const expiring = await vault.requestToken({ scope: 'secrets:read:t/*', ttlSeconds: 60 });
    clock.advanceSeconds(60);
    await expect(vault.getSecret('t/key', { token: expiring.value! })).rejects.toBeInstanceOf(
      AgentVaultAuthError,
    );
    const revoked = await vault.requestToken({ scope: 'secrets:read:t/*' });
    await vault.revokeToken(revoked.id!);
    await expect(vault.getSecret('t/key', { token: revoked.value! })).rejects.toBeInstanceOf(
      AgentVaultAuthError,
    );
    await expect(vault.revokeToken('tok_nope')).rejects.toBeInstanceOf(AgentVaultNotFoundError);
    const standard = await vault.requestToken({ scope: 'secrets:read:t/*' });
    await vault.setSecret('t/later', 'sensitive value', { tier: 'sensitive' });
    await expect(vault.getSecret('t/later', { token: standard.value! })).rejects.toBeInstanceOf(
      AgentVaultPermissionError,
    );
    await expect(vault.getSecret('t/nothing', { token: 'ast_tok_unknown' })).rejects.toBeInstanceOf(
      AgentVaultAuthError,
    );
    const unknown = await allEvents(vault, { actor: 'anonymous' });
    expect(unknown.map((e) => [e.type, e.error])).toEqual([['secret.read', 'unauthorized']]);
  });

  it('mints narrower child tokens only, carved out of the parent, and revokes them with their parent', async () => {
    const { vault, storage, tenant, clock } = ctx.setup();
    await vault.setSecret('team/app/key', 'v');
    const parent = await vault.requestToken({
      scope: 'secrets:read:team/* secrets:list:team/*',
      ttlSeconds: 600,
      maxUses: 10,
    });
    await expect(
      vault.requestToken({ scope: 'secrets:read:*', maxUses: 1 }, { token: parent.value! }),
    ).rejects.toBeInstanceOf(AgentVaultPermissionError);
    await expect(
      vault.requestToken({ scope: 'secrets:write:team/*', maxUses: 1 }, { token: parent.value! }),
    ).rejects.toBeInstanceOf(AgentVaultPermissionError);
    await expect(
      vault.requestToken({ scope: 'audit:read', maxUses: 1 }, { token: parent.value! }),
    ).rejects.toBeInstanceOf(AgentVaultPermissionError);
    // A limited parent's child states its uses, at most what the parent has left.
    for (const maxUses of [undefined, 11]) {
      const refused = await vault
        .requestToken({ scope: 'secrets:read:team/app/*', ...(maxUses ? { maxUses } : {}) }, { token: parent.value! })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(AgentVaultValidationError);
      expect((refused as AgentVaultValidationError).issues[0]?.message).toContain('10');
    }
    const child = await vault.requestToken(
      { scope: 'secrets:read:team/app/*', ttlSeconds: 86_400, maxUses: 4 },
      { token: parent.value! },
    );
    expect(child.expiresAt?.getTime()).toBeLessThanOrEqual(clock.now() + 600_000);
    expect(child.maxUses).toBe(4);
    const stored = await tokenRecords(storage, tenant, [parent.id!, child.id!]);
    expect(stored[0]).toMatchObject({ usesRemaining: 6, parentId: null, rootId: parent.id });
    expect(stored[1]).toMatchObject({
      usesRemaining: 4,
      parentId: parent.id,
      rootId: parent.id,
      lineage: [`token:${parent.id}`, stored[0]!.lineage[0]],
    });
    expect((await vault.getSecret('team/app/key', { token: child.value! })).value).toBe('v');
    await expect(vault.createAgentKey({}, { token: parent.value! })).rejects.toBeInstanceOf(
      AgentVaultPermissionError,
    );
    const [before] = await storage.getRecords([{ kind: 'token', tenant, id: parent.id! }]);
    await vault.revokeToken(parent.id!);
    await expect(vault.getSecret('team/app/key', { token: child.value! })).rejects.toBeInstanceOf(
      AgentVaultAuthError,
    );
    await expect(
      vault.requestToken({ scope: 'secrets:read:team/app/*', maxUses: 1 }, { token: parent.value! }),
    ).rejects.toBeInstanceOf(AgentVaultAuthError);
    // A mint that read the parent before its revoke is refused by storage: it expects the old revision.
    const orphan: TokenRecord = { ...stored[1]!, id: 'tok_orphan', hash: 'f'.repeat(64), revokedAt: null };
    await expect(
      storage.commit({
        writes: [
          { op: 'put', kind: 'token', record: orphan, expect: 'absent' },
          { op: 'check', key: { kind: 'token', tenant, id: parent.id! }, expect: before!.rev },
        ],
        events: [testEvent(tenant, null)],
      }),
    ).rejects.toBeInstanceOf(AgentVaultConflictError);
    expect(await tokenRecords(storage, tenant, ['tok_orphan'])).toEqual([null]);
  });

  it('gives a max_uses=10 tree exactly 10 successful reads, however it is minted into children', async () => {
    const { vault } = ctx.setup();
    await vault.setSecret('tree/key', 'v');
    const scope = 'secrets:read:tree/*';
    const root = await vault.requestToken({ scope, maxUses: 10 });
    const mint = (parent: ScopedToken, maxUses: number) =>
      vault.requestToken({ scope, maxUses }, { token: parent.value! });
    const a = await mint(root, 5); // root 5 left
    const b = await mint(a, 3); // a 2 left
    const c = await mint(b, 1); // b 2 left
    const d = await mint(root, 2); // root 3 left
    await expect(mint(root, 4)).rejects.toBeInstanceOf(AgentVaultValidationError);
    // A chain handing everything down leaves every ancestor empty, not full.
    const chain = [d];
    for (let i = 0; i < 4; i++) chain.push(await mint(chain.at(-1)!, 2));
    const tokens = [root, a, b, c, ...chain];
    const reads = await Promise.allSettled(
      tokens.flatMap((t) => Array.from({ length: 12 }, () => vault.getSecret('tree/key', { token: t.value! }))),
    );
    expect(reads.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    expect(reads.filter((r) => r.status === 'rejected' && !(r.reason instanceof AgentVaultAuthError))).toEqual([]);
  });

  it('lets exactly five of 30 parallel listings use a five-use token (uses outside the audited read)', async () => {
    const { vault } = ctx.setup();
    await vault.setSecret('five/key', 'v');
    const token = await vault.requestToken({ scope: 'secrets:list:five/*', maxUses: 5 });
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, () => vault.listSecrets('five', { token: token.value! })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(results.filter((r) => r.status === 'rejected' && !(r.reason instanceof AgentVaultAuthError))).toEqual([]);
  });

  it('revokes every token minted under an agent key when the key is revoked, racing mints included', async () => {
    const { vault, tenant } = ctx.setup();
    await vault.setSecret('k/app/key', 'v');
    const key = await vault.createAgentKey({ roles: ['admin'] });
    const other = await vault.createAgentKey({ roles: ['admin'] });
    const asKey = { token: key.value };
    const root = await vault.requestToken({ scope: 'secrets:read:k/*' }, asKey);
    const child = await vault.requestToken({ scope: 'secrets:read:k/app/*' }, { token: root.value! });
    const grandchild = await vault.requestToken({ scope: 'secrets:read:k/app/*' }, { token: child.value! });
    await vault.setSecret('k/crit/key', 'c', { tier: 'critical' });
    const { approvalRequestId } = await vault.requestToken({ scope: 'secrets:read:k/crit/*' }, asKey);
    await vault.approve(approvalRequestId!, {}, { principal: { kind: 'user', id: 'alice', tenant, roles: ['approver'] } });
    const approved = (await vault.getApproval(approvalRequestId!, asKey)).token!;
    const bystander = await vault.requestToken({ scope: 'secrets:read:k/app/*' }, { token: other.value });
    // Mints by the key and by its tokens race the revoke: each ends refused or revoked, never live.
    const racing = await Promise.allSettled([
      ...Array.from({ length: 10 }, () => vault.requestToken({ scope: 'secrets:read:k/app/*' }, asKey)),
      ...Array.from({ length: 10 }, () => vault.requestToken({ scope: 'secrets:read:k/app/*' }, { token: root.value! })),
      vault.revokeAgentKey(key.id),
      ...Array.from({ length: 10 }, () =>
        vault.requestToken({ scope: 'secrets:read:k/app/*' }, { token: grandchild.value! })),
    ]);
    expect(racing[20]?.status).toBe('fulfilled');
    const minted = racing.flatMap((r) => (r.status === 'fulfilled' && 'value' in r.value && r.value.value ? [r.value] : []));
    for (const t of [root, child, grandchild, approved, ...minted]) {
      await expect(vault.getSecret('k/app/key', { token: t.value! })).rejects.toBeInstanceOf(AgentVaultAuthError);
    }
    const live = (await vault.listTokens({ limit: 200 })).items.map((t) => t.id);
    expect(live).toEqual([bystander.id]);
    expect((await vault.getSecret('k/app/key', { token: bystander.value! })).value).toBe('v');
  });

  it('lets a token ask a human for a narrower token above its own tier, bound to it', async () => {
    const { vault, tenant, clock } = ctx.setup();
    await vault.setSecret('ops/app/key', 'standard value');
    const agent = await vault.requestToken({ scope: 'secrets:read:ops/*', ttlSeconds: 3600 });
    await vault.setSecret('ops/db/root', 'critical value', { tier: 'critical' });
    await expect(vault.getSecret('ops/db/root', { token: agent.value! })).rejects.toBeInstanceOf(AgentVaultPermissionError);
    const pending = await vault.requestToken({ scope: 'secrets:read:ops/db/*', ttlSeconds: 86_400 }, { token: agent.value! });
    expect(pending).toMatchObject({ approvalStatus: 'pending', value: null });
    await vault.approve(pending.approvalRequestId!, {}, { principal: { kind: 'user', id: 'alice', tenant, roles: ['approver'] } });
    clock.advanceSeconds(60);
    const granted = (await vault.getApproval(pending.approvalRequestId!, { token: agent.value! })).token!;
    expect(granted).toMatchObject({ approvedTier: 'critical', scope: 'secrets:read:ops/db/*' });
    expect(granted.expiresAt!.getTime()).toBeLessThanOrEqual(clock.now() + 3600_000);
    expect((await vault.getSecret('ops/db/root', { token: granted.value! })).value).toBe('critical value');
    await vault.revokeToken(agent.id!);
    await expect(vault.getSecret('ops/db/root', { token: granted.value! })).rejects.toBeInstanceOf(AgentVaultAuthError);
  });

  it('restricts a token to its IP allowlist, IPv4 and IPv6', async () => {
    const { vault } = ctx.setup();
    await vault.setSecret('ip/key', 'v');
    const token = await vault.requestToken({
      scope: 'secrets:read:ip/*',
      allowedIps: ['10.0.0.0/8', '2001:db8::/32', '192.168.1.7'],
    });
    for (const ip of ['10.1.2.3', '::ffff:10.9.9.9', '2001:db8::42', '192.168.1.7']) {
      expect((await vault.getSecret('ip/key', { token: token.value!, ip })).value).toBe('v');
    }
    for (const ip of [undefined, '11.0.0.1', '2001:db9::1', '192.168.1.8', 'not-an-ip']) {
      await expect(
        vault.getSecret('ip/key', { token: token.value!, ...(ip ? { ip } : {}) }),
      ).rejects.toBeInstanceOf(AgentVaultPermissionError);
    }
  });

  it('stores agent keys by hash: authenticate, list without values, revoke', async () => {
    const { vault } = ctx.setup();
    const key = await vault.createAgentKey({ description: 'ci runner', roles: ['admin'] });
    expect(key.value).toMatch(/^ass_live_/);
    const principal = await vault.authenticate(key.value);
    expect(principal).toMatchObject({ kind: 'key', id: key.id, roles: ['admin'] });
    await vault.setSecret('k/key', 'v', { principal });
    expect((await vault.getSecret('k/key', { token: key.value })).value).toBe('v');
    const listed = await vault.listAgentKeys();
    expect(listed.map((k) => k.id)).toEqual([key.id]);
    expect(JSON.stringify(listed)).not.toContain(key.value);
    await vault.revokeAgentKey(key.id);
    await expect(vault.authenticate(key.value)).rejects.toBeInstanceOf(AgentVaultAuthError);
    await expect(vault.authenticate('ass_live_made-up')).rejects.toBeInstanceOf(AgentVaultAuthError);
    const approverOnly = await vault.createAgentKey({ roles: ['approver'] });
    await expect(vault.getSecret('k/key', { token: approverOnly.value })).rejects.toBeInstanceOf(
      AgentVaultPermissionError,
    );
  });
}

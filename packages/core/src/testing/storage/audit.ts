import { expect, it } from 'vitest';
import { AgentVaultNotFoundError, AgentVaultPermissionError } from '../../errors';
import type { SuiteContext } from './context';
import { allEvents, testDraft, testEvent } from './fixtures';

export function auditTests(ctx: SuiteContext): void {
  it('appends one event per operation, refusals included, naming the actor by id', async () => {
    const { vault, clock } = ctx.setup();
    await vault.setSecret('aud/key', 'value', { actor: 'deployer' });
    clock.advance(1);
    await vault.getSecret('aud/key', { ip: '10.0.0.5', userAgent: 'test-agent/1.0' });
    clock.advance(1);
    await expect(vault.getSecret('aud/missing')).rejects.toBeInstanceOf(AgentVaultNotFoundError);
    clock.advance(1);
    await vault.listSecrets('aud');
    const events = await allEvents(vault, { order: 'asc' });
    expect(events.map((e) => [e.type, e.path, e.success, e.error, e.version])).toEqual([
      ['secret.create', 'aud/key', true, null, 1],
      ['secret.read', 'aud/key', true, null, 1],
      ['secret.read', 'aud/missing', false, 'not_found', null],
      ['secret.list', 'aud', true, null, null],
    ]);
    expect(events[0]?.actor).toBe('app:deployer');
    expect(events[1]).toMatchObject({ actor: 'app:embedded', ip: '10.0.0.5', userAgent: 'test-agent/1.0' });
    expect(events.every((e) => e.id.startsWith('evt_'))).toBe(true);
  });

  it('filters by namespace, path, actor, type, success and time, and pages both ways without repeats', async () => {
    const { vault, clock } = ctx.setup();
    const start = clock.now();
    for (let i = 0; i < 12; i++) {
      await vault.setSecret(`ns${i % 2}/key-${i}`, 'v', { actor: i % 3 === 0 ? 'alice' : 'bob' });
      clock.advance(1000);
    }
    await vault.getSecret('ns0/key-0');
    await expect(vault.getSecret('ns0/nothing')).rejects.toThrow();
    expect((await allEvents(vault, { namespace: 'ns0' })).length).toBe(8);
    expect((await allEvents(vault, { path: 'ns0/key-0' })).map((e) => e.type).sort()).toEqual([
      'secret.create',
      'secret.read',
    ]);
    expect((await allEvents(vault, { actor: 'app:alice' })).length).toBe(4);
    expect((await allEvents(vault, { type: 'secret.read' })).length).toBe(2);
    expect((await allEvents(vault, { type: ['secret.read', 'secret.create'], success: false })).length).toBe(
      1,
    );
    const window = await allEvents(vault, { since: new Date(start + 2000), until: new Date(start + 5000) });
    expect(window.map((e) => e.path)).toEqual(['ns0/key-4', 'ns1/key-3', 'ns0/key-2']);
    const desc = await allEvents(vault, { type: 'secret.create' });
    const asc = await allEvents(vault, { type: 'secret.create', order: 'asc' });
    expect(desc.map((e) => e.id)).toEqual(asc.map((e) => e.id).reverse());
    expect(new Set(asc.map((e) => e.id)).size).toBe(12);
    const first = await vault.queryAudit({ limit: 5, order: 'asc' });
    const second = await vault.queryAudit({ limit: 5, order: 'asc', cursor: first.nextCursor });
    expect(new Set([...first.events, ...second.events].map((e) => e.id)).size).toBe(10);
  });

  it('keeps reads of one version, the touch and the event together (adapter contract)', async () => {
    const { vault, storage, tenant, clock } = ctx.setup();
    await vault.setSecret('atomic/key', 'v');
    const taken = testEvent(tenant, 'atomic/key');
    await storage.appendAudit(taken);
    const token = await vault.requestToken({ scope: 'secrets:read:atomic/*', maxUses: 2 });
    const before = (await storage.getSecret(tenant, 'atomic/key'))!;
    const heads = await storage.auditHeads(tenant);
    clock.advance(5000);
    // An event id that already exists makes the append fail: the whole read MUST change nothing.
    await expect(
      storage.readSecret({
        tenant,
        path: 'atomic/key',
        version: null,
        now: clock.now(),
        maxTier: null,
        token: { id: token.id! },
        event: testDraft(tenant, 'atomic/key', taken.id),
      }),
    ).rejects.toThrow();
    expect((await storage.getSecret(tenant, 'atomic/key'))?.accessedAt).toBe(before.accessedAt);
    expect((await storage.getToken(tenant, token.id!))?.usesRemaining).toBe(2);
    expect(await storage.auditHeads(tenant)).toEqual(heads);
  });

  it('verifies a whole trail, and names an altered, a removed and a truncated event', async () => {
    const { vault, backdoor, tenant, clock } = ctx.setup({ auditChains: 1 });
    for (let i = 0; i < 6; i++) {
      await vault.setSecret(`chain/key-${i}`, 'v');
      clock.advance(10);
    }
    const healthy = await vault.verifyAudit();
    expect(healthy).toMatchObject({ ok: true, checked: 6, chains: 1, breaks: [] });
    const events = await allEvents(vault, { type: 'secret.create', order: 'asc' });

    await backdoor.patchAuditEvent(tenant, events[2]!.id, { actor: 'app:somebody-else' });
    expect((await vault.verifyAudit()).breaks).toEqual([
      { chain: 0, seq: 3, eventId: events[2]!.id, reason: 'altered' },
    ]);
    await backdoor.patchAuditEvent(tenant, events[2]!.id, { actor: events[2]!.actor });
    await backdoor.patchAuditEvent(tenant, events[3]!.id, { success: false, error: 'not_found' });
    expect((await vault.verifyAudit()).breaks[0]).toMatchObject({
      seq: 4,
      eventId: events[3]!.id,
      reason: 'altered',
    });
    await backdoor.patchAuditEvent(tenant, events[3]!.id, { success: true, error: null });
    expect(await vault.verifyAudit()).toMatchObject({ ok: true, breaks: [] });
  });

  it('names the event after a removed one, and a removed tail', async () => {
    const { vault, backdoor, tenant, clock } = ctx.setup({ auditChains: 1 });
    for (let i = 0; i < 5; i++) {
      await vault.setSecret(`gap/key-${i}`, 'v');
      clock.advance(10);
    }
    const events = await allEvents(vault, { order: 'asc' });
    await backdoor.deleteAuditEvent(tenant, events[1]!.id);
    expect((await vault.verifyAudit()).breaks).toEqual([
      { chain: 0, seq: 2, eventId: events[2]!.id, reason: 'missing' },
    ]);

    const other = ctx.setup({ auditChains: 1 });
    await other.vault.setSecret('tail/a', 'v');
    await other.vault.setSecret('tail/b', 'v');
    const chain = await other.storage.readAuditChain({
      tenant: other.tenant,
      chain: 0,
      afterSeq: 0,
      limit: 10,
    });
    await other.backdoor.deleteAuditEvent(other.tenant, chain.at(-1)!.id);
    expect((await other.vault.verifyAudit()).breaks).toEqual([
      { chain: 0, seq: chain.length, eventId: null, reason: 'truncated' },
    ]);
  });

  it('keeps one chain gapless under 100 concurrent appends', async () => {
    const { vault, storage, tenant } = ctx.setup({ auditChains: 1 });
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => storage.appendAudit(testEvent(tenant, `c/${i}`))),
    );
    const heads = await storage.auditHeads(tenant);
    expect(heads).toHaveLength(1);
    expect(heads[0]?.seq).toBe(100);
    const chain = await storage.readAuditChain({ tenant, chain: 0, afterSeq: 0, limit: 200 });
    expect(chain.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect((await vault.verifyAudit()).ok).toBe(true);
  });

  it('MUST refuse an event id that exists (adapter contract)', async () => {
    const { storage, tenant } = ctx.setup();
    const event = testEvent(tenant, 'dup/id');
    await storage.appendAudit(event);
    await expect(storage.appendAudit({ ...event, path: 'dup/other' })).rejects.toThrow();
    expect((await storage.auditHeads(tenant)).reduce((n, h) => n + h.seq, 0)).toBe(1);
  });

  it('lets a token read the trail only with audit:read', async () => {
    const { vault } = ctx.setup();
    await vault.setSecret('scoped/key', 'v');
    const reader = await vault.requestToken({ scope: 'secrets:read:scoped/*' });
    await expect(vault.queryAudit({}, { token: reader.value! })).rejects.toBeInstanceOf(
      AgentVaultPermissionError,
    );
    const auditor = await vault.requestToken({ scope: 'audit:read' });
    expect((await vault.queryAudit({}, { token: auditor.value! })).events.length).toBeGreaterThan(0);
  });
}

import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { AUDIT_SEAL_ID } from '../../contracts/records';
import { AgentVaultConflictError, AgentVaultNotFoundError, AgentVaultPermissionError } from '../../errors';
import { testKeyWrapper } from '../key-wrappers';
import type { SuiteContext } from './context';
import { allEvents, storedRecord, storedSecret, testDraft, testEvent } from './fixtures';

/** How long the suite waits for a background seal (the timer looks once a second). */
const SEAL_WAIT = { timeout: 5000, interval: 50 };

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
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
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
    await storage.commit({ writes: [], events: [taken] });
    const token = await vault.requestToken({ scope: 'secrets:read:atomic/*', maxUses: 2 });
    const before = (await storedSecret(storage, tenant, 'atomic/key'))!;
    const trail = await storage.readAudit({ tenant, afterSeq: 0, limit: 100 });
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
    expect((await storedSecret(storage, tenant, 'atomic/key'))?.accessedAt).toBe(before.accessedAt);
    expect((await storedRecord(storage, 'token', tenant, token.id!))?.usesRemaining).toBe(2);
    expect(await storage.readAudit({ tenant, afterSeq: 0, limit: 100 })).toEqual(trail);
  });

  it('numbers a tenant\'s events 1, 2, 3… with no gap under 100 concurrent appends (adapter contract)', async () => {
    const { vault, storage, tenant } = ctx.setup();
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        storage.commit({ writes: [], events: i % 2 ? [testEvent(tenant, `c/${i}`)] : [testEvent(tenant, `c/${i}`), testEvent(tenant, `d/${i}`)] }),
      ),
    );
    const trail = await storage.readAudit({ tenant, afterSeq: 0, limit: 500 });
    expect(trail.map((e) => e.seq)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    // Events of one commit stay together, in order.
    for (let i = 0; i < 100; i += 2) {
      const at = trail.findIndex((e) => e.path === `c/${i}`);
      expect(trail[at + 1]?.path).toBe(`d/${i}`);
    }
    expect((await storage.readAudit({ tenant, afterSeq: 140, limit: 5 })).map((e) => e.seq)).toEqual([141, 142, 143, 144, 145]);
    await vault.sealAudit();
    expect(await vault.verifyAudit()).toMatchObject({ ok: true, checked: 150, sealedSeq: 150 });
  });

  it('MUST refuse an event id that exists, appending nothing (adapter contract)', async () => {
    const { storage, tenant } = ctx.setup();
    const event = testEvent(tenant, 'dup/id');
    await storage.commit({ writes: [], events: [event] });
    await expect(storage.commit({ writes: [], events: [{ ...event, path: 'dup/other' }] })).rejects.toThrow();
    await expect(
      storage.commit({ writes: [], events: [testEvent(tenant, 'dup/fresh'), { ...event, path: 'dup/other' }] }),
    ).rejects.toThrow();
    expect(await storage.readAudit({ tenant, afterSeq: 0, limit: 10 })).toHaveLength(1);
  });

  it('verifies a sealed trail, and names an altered event and a removed one', async () => {
    const { vault, backdoor, tenant, clock } = ctx.setup();
    for (let i = 0; i < 6; i++) {
      await vault.setSecret(`chain/key-${i}`, 'v');
      clock.advance(10);
    }
    expect(await vault.sealAudit()).toEqual({ checkpoints: 1, sealedSeq: 6 });
    const healthy = await vault.verifyAudit();
    expect(healthy).toMatchObject({ ok: true, checked: 6, checkpoints: 1, sealedSeq: 6, firstBad: null, breaks: [] });
    expect(healthy.unsealed).toMatchObject({ count: 0, fromSeq: 7, exceedsBound: false });
    const events = await allEvents(vault, { type: 'secret.create', order: 'asc' });

    await backdoor.patchAuditEvent(tenant, events[2]!.id, { actor: 'app:somebody-else' });
    const altered = await vault.verifyAudit();
    expect(altered).toMatchObject({ ok: false, checked: 2 });
    expect(altered.firstBad).toEqual({ seq: 3, eventId: events[2]!.id, reason: 'altered' });
    expect(altered.breaks).toEqual([altered.firstBad]);
    await backdoor.patchAuditEvent(tenant, events[2]!.id, { actor: events[2]!.actor });
    await backdoor.patchAuditEvent(tenant, events[3]!.id, { success: false, error: 'not_found' });
    expect((await vault.verifyAudit()).firstBad).toEqual({ seq: 4, eventId: events[3]!.id, reason: 'altered' });
    await backdoor.patchAuditEvent(tenant, events[3]!.id, { success: true, error: null });
    expect(await vault.verifyAudit()).toMatchObject({ ok: true, firstBad: null });

    await backdoor.deleteAuditEvent(tenant, events[1]!.id);
    expect((await vault.verifyAudit()).firstBad).toEqual({ seq: 2, eventId: events[2]!.id, reason: 'removed' });
  });

  it('reports, if at all, the seq a read\'s event got; reads sealed as sent verify, every outcome', async () => {
    const { vault, storage, tenant, clock } = ctx.setup();
    await vault.setSecret('sent/key', 'v1');
    await vault.setSecret('sent/key', 'v2');
    const token = await vault.requestToken({ scope: 'secrets:read:sent/*', maxUses: 2 });
    const { seq: last } = (await storage.readAudit({ tenant, afterSeq: 0, limit: 100 })).at(-1)!;
    const draft = testDraft(tenant, 'sent/key');
    const read = await storage.readSecret({ tenant, path: 'sent/key', version: 1, now: clock.now(), maxTier: null, token: null, event: draft });
    if (read.seq !== undefined) {
      expect(read.seq).toBe(last + 1);
      expect(await storage.readAudit({ tenant, afterSeq: last, limit: 1 })).toMatchObject([{ id: draft.id, seq: read.seq }]);
    }
    // ok (current, and an older version by number), not_found (path, version), tier_exceeded, token_exhausted.
    await vault.getSecret('sent/key');
    await vault.getSecret('sent/key', { version: 1 });
    await expect(vault.getSecret('sent/missing')).rejects.toThrow();
    await expect(vault.getSecret('sent/key', { version: 9 })).rejects.toThrow();
    await vault.getSecret('sent/key', { token: token.value! });
    await vault.setSecret('sent/key', 'v3', { tier: 'sensitive' });
    await expect(vault.getSecret('sent/key', { token: token.value! })).rejects.toThrow();
    await expect(vault.getSecret('sent/key', { token: token.value! })).rejects.toThrow();
    const reads = await allEvents(vault, { type: 'secret.read', order: 'asc' });
    expect(reads.map((e) => [e.success, e.error, e.version])).toEqual([
      [true, null, 2], [true, null, 1], [false, 'not_found', null], [false, 'not_found', 9],
      [true, null, 2], [false, 'tier_exceeded', null], [false, 'token_exhausted', null],
    ]);
    const sealed = await vault.sealAudit();
    expect(await vault.verifyAudit()).toMatchObject({ ok: true, checked: sealed.sealedSeq, firstBad: null });
  });

  it('names a read altered in the database between its append and its first seal', async ({ skip }) => {
    const { vault, storage, backdoor, tenant, clock } = ctx.setup();
    await vault.setSecret('early/key', 'v');
    const draft = testDraft(tenant, 'early/key');
    const probe = await storage.readSecret({ tenant, path: 'early/key', version: null, now: clock.now(), maxTier: null, token: null, event: draft });
    // Without a reported seq the vault seals what it reads back, tampered or not: nothing to check here.
    if (probe.seq === undefined) skip('the adapter does not report a read\'s seq');
    for (let i = 0; i < 3; i++) await vault.getSecret('early/key', { ip: '10.0.0.1' });
    const [, second] = (await backdoor.auditEvents(tenant)).filter((e) => e.type === 'secret.read');
    await backdoor.patchAuditEvent(tenant, second!.id, { ip: '10.9.9.9' });
    await vault.sealAudit();
    expect((await vault.verifyAudit()).firstBad).toEqual({ seq: second!.seq, eventId: second!.id, reason: 'altered' });
  });

  it('reports the unsealed tail after the last checkpoint, and seals it on demand', async () => {
    const { vault, storage, tenant } = ctx.setup();
    for (let i = 0; i < 3; i++) await vault.setSecret(`tail/key-${i}`, 'v');
    await vault.sealAudit();
    await vault.setSecret('tail/later', 'v');
    const result = await vault.verifyAudit();
    expect(result).toMatchObject({ ok: true, sealedSeq: 3, checked: 3 });
    expect(result.unsealed).toMatchObject({ count: 1, fromSeq: 4, exceedsBound: false });
    expect(result.unsealed.oldestAt).toBeInstanceOf(Date);
    // The verification is audited too, after the check.
    expect(await vault.sealAudit()).toEqual({ checkpoints: 1, sealedSeq: 5 });
    expect(await vault.sealAudit()).toEqual({ checkpoints: 0, sealedSeq: 5 });
    const checkpoints = await storage.listRecords({ kind: 'audit_checkpoint', tenant, afterId: null, limit: 10 });
    expect(checkpoints.map((c) => [c.record.n, c.record.fromSeq, c.record.toSeq])).toEqual([
      [1, 1, 3],
      [2, 4, 5],
    ]);
    expect(checkpoints[1]!.record.prevMac).toBe(checkpoints[0]!.record.mac);
    // Storage holds the seal key only wrapped: 32 random bytes never appear in the clear.
    const seal = await storedRecord(storage, 'audit_seal', tenant, AUDIT_SEAL_ID);
    expect(seal).toMatchObject({ checkpoints: 2, sealedSeq: 5, lastMac: checkpoints[1]!.record.mac });
    expect(seal!.wrappedKey.ciphertext.length).toBeGreaterThan(32);
  });

  it('moves the seal key to the current key-encryption key with the next checkpoint', async () => {
    const keys = { old: randomBytes(32), next: randomBytes(32) };
    const h = ctx.setup({ keys: testKeyWrapper({ keys, currentKeyId: 'old' }) });
    await h.vault.setSecret('kek/key', 'v');
    await h.vault.sealAudit();
    const rotated = h.another({ keys: testKeyWrapper({ keys, currentKeyId: 'next' }) });
    await rotated.setSecret('kek/key', 'w');
    await rotated.sealAudit();
    const seal = await storedRecord(h.storage, 'audit_seal', h.tenant, AUDIT_SEAL_ID);
    expect(seal).toMatchObject({ checkpoints: 2, wrappedKey: { keyId: 'next' } });
    // Only the new key is needed from now on.
    const onlyNext = h.another({ keys: testKeyWrapper({ keys: { next: keys.next } }) });
    expect(await onlyNext.verifyAudit()).toMatchObject({ ok: true, checked: 2, checkpoints: 2 });
  });

  it('seals by itself every N events (audit.sealEvery)', async () => {
    const { vault, storage, tenant } = ctx.setup({ audit: { sealEvery: 5 } });
    for (let i = 0; i < 5; i++) await vault.setSecret(`n/key-${i}`, 'v');
    await expect
      .poll(async () => (await storedRecord(storage, 'audit_seal', tenant, AUDIT_SEAL_ID))?.sealedSeq ?? 0, SEAL_WAIT)
      .toBeGreaterThanOrEqual(5);
    expect(await vault.verifyAudit()).toMatchObject({ ok: true, checked: 5 });
  });

  it('seals by itself once the oldest unsealed event is T seconds old (audit.sealIntervalSeconds), until closed', async () => {
    const { vault, storage, tenant, clock } = ctx.setup({ audit: { sealIntervalSeconds: 30 } });
    const sealedSeq = async () => (await storedRecord(storage, 'audit_seal', tenant, AUDIT_SEAL_ID))?.sealedSeq ?? 0;
    await vault.setSecret('t/key', 'v');
    clock.advanceSeconds(29);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(await sealedSeq()).toBe(0);
    clock.advanceSeconds(1);
    await expect.poll(sealedSeq, SEAL_WAIT).toBe(1);

    // After close() the timer is gone: nothing more is sealed however late it gets.
    const other = ctx.setup({ audit: { sealIntervalSeconds: 30 } });
    await other.vault.setSecret('t/key', 'v');
    await other.vault.close();
    other.clock.advanceSeconds(3600);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(await storedRecord(other.storage, 'audit_seal', other.tenant, AUDIT_SEAL_ID)).toBeNull();
  });

  it('settles racing sealers once: one checkpoint per range, across instances', async () => {
    const h = ctx.setup();
    for (let i = 0; i < 10; i++) await h.vault.setSecret(`race/key-${i}`, 'v');
    const twin = ctx.fixture().twin;
    const others = [h.another(), h.another({ storage: twin ? await twin() : h.storage })];
    const results = await Promise.all([h.vault, ...others, h.vault, ...others].map((v) => v.sealAudit()));
    expect(results.reduce((n, r) => n + r.checkpoints, 0)).toBe(1);
    const checkpoints = await h.storage.listRecords({ kind: 'audit_checkpoint', tenant: h.tenant, afterId: null, limit: 10 });
    expect(checkpoints.map((c) => [c.record.fromSeq, c.record.toSeq])).toEqual([[1, 10]]);
    expect(await h.vault.verifyAudit()).toMatchObject({ ok: true, checked: 10 });
  });

  it('MUST conflict when a commit expects a checkpoint or seal that changed (adapter contract)', async () => {
    const { vault, storage, tenant } = ctx.setup();
    await vault.setSecret('cp/key', 'v');
    await vault.sealAudit();
    const [seal] = await storage.getRecords([{ kind: 'audit_seal', tenant, id: AUDIT_SEAL_ID }]);
    const [checkpoint] = await storage.listRecords({ kind: 'audit_checkpoint', tenant, afterId: null, limit: 1 });
    await expect(
      storage.commit({ writes: [{ op: 'put', kind: 'audit_checkpoint', record: checkpoint!.record, expect: 'absent' }], events: [] }),
    ).rejects.toBeInstanceOf(AgentVaultConflictError);
    await expect(
      storage.commit({ writes: [{ op: 'put', kind: 'audit_seal', record: seal!.record as never, expect: seal!.rev + 1 }], events: [] }),
    ).rejects.toBeInstanceOf(AgentVaultConflictError);
  });

  it('lets a token read the trail only with audit:read', async () => {
    const { vault } = ctx.setup();
    await vault.setSecret('scoped/key', 'v');
    const reader = await vault.requestToken({ scope: 'secrets:read:scoped/*' });
    await expect(vault.queryAudit({}, { token: reader.value! })).rejects.toBeInstanceOf(
      AgentVaultPermissionError,
    );
    await expect(vault.sealAudit({ token: reader.value! })).rejects.toBeInstanceOf(AgentVaultPermissionError);
    const auditor = await vault.requestToken({ scope: 'audit:read' });
    expect((await vault.queryAudit({}, { token: auditor.value! })).events.length).toBeGreaterThan(0);
    expect((await vault.verifyAudit({ token: auditor.value! })).ok).toBe(true);
  });
}

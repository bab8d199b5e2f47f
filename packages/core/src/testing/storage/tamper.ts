import { expect, it } from 'vitest';
import { AUDIT_SEAL_ID, type VersionRecord } from '../../contracts/records';
import { AgentVaultIntegrityError } from '../../errors';
import { eventDigest } from '../../vault/audit-seal';
import type { VaultOptions } from '../../vault/runtime';
import type { Secret } from '../../vault/views';
import type { Harness, SuiteContext } from './context';

/** Reading must fail with an integrity error; anything else — above all another secret's plaintext — fails the test. */
async function expectIntegrityFailure(read: Promise<Secret>, forbidden: string[]): Promise<void> {
  const outcome = await read.then(
    (secret) => ({ ok: true as const, value: secret.value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) {
    expect(forbidden, 'tampered read returned a value').not.toContain(outcome.value);
    expect.fail('a tampered read returned a value instead of an integrity error');
  }
  expect(outcome.error).toBeInstanceOf(AgentVaultIntegrityError);
}

function flip(bytes: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[index % copy.length]! ^= 0x01;
  return copy;
}

async function rows(h: Harness, path: string, version: number): Promise<VersionRecord> {
  const row = await h.backdoor.readVersion({ tenant: h.tenant, path, version });
  if (!row) throw new Error(`no stored row for ${path} v${version}`);
  return row;
}

export function tamperTests(ctx: SuiteContext): void {
  auditTamperTests(ctx);

  it('fails with an integrity error when ciphertext and wrapped key move to another secret', async () => {
    const h = ctx.setup();
    await h.vault.setSecret('tamper/a', 'plaintext-of-a');
    await h.vault.setSecret('tamper/b', 'plaintext-of-b');
    const a = await rows(h, 'tamper/a', 1);
    const b = await rows(h, 'tamper/b', 1);
    await h.backdoor.writeVersion({ ...b, ciphertext: a.ciphertext, wrappedKey: a.wrappedKey });
    await h.backdoor.writeVersion({ ...a, ciphertext: b.ciphertext, wrappedKey: b.wrappedKey });
    await expectIntegrityFailure(h.vault.getSecret('tamper/a'), ['plaintext-of-b']);
    await expectIntegrityFailure(h.vault.getSecret('tamper/b'), ['plaintext-of-a']);
    // Only the ciphertext moved (the data key stays): still refused.
    await h.backdoor.writeVersion({ ...b, ciphertext: a.ciphertext });
    await expectIntegrityFailure(h.vault.getSecret('tamper/b'), ['plaintext-of-a']);
  });

  it('fails with an integrity error when versions of one secret swap places', async () => {
    const h = ctx.setup();
    await h.vault.setSecret('tamper/v', 'version-one');
    await h.vault.setSecret('tamper/v', 'version-two');
    const one = await rows(h, 'tamper/v', 1);
    const two = await rows(h, 'tamper/v', 2);
    await h.backdoor.writeVersion({ ...two, ciphertext: one.ciphertext, wrappedKey: one.wrappedKey });
    await expectIntegrityFailure(h.vault.getSecret('tamper/v'), ['version-one']);
    await h.backdoor.writeVersion({ ...one, ciphertext: two.ciphertext, wrappedKey: two.wrappedKey });
    await expectIntegrityFailure(h.vault.getSecret('tamper/v', { version: 1 }), ['version-two']);
  });

  it('fails with an integrity error when a row moves to another tenant', async () => {
    const a = ctx.setup();
    const b = ctx.setup({ keys: a.keys });
    await a.vault.setSecret('tamper/t', 'tenant-a-plaintext');
    await b.vault.setSecret('tamper/t', 'tenant-b-plaintext');
    const rowA = await rows(a, 'tamper/t', 1);
    const rowB = await rows(b, 'tamper/t', 1);
    await b.backdoor.writeVersion({ ...rowB, ciphertext: rowA.ciphertext, wrappedKey: rowA.wrappedKey });
    await expectIntegrityFailure(b.vault.getSecret('tamper/t'), ['tenant-a-plaintext']);
  });

  it('fails with an integrity error on flipped bits and truncation, cold or warm', async () => {
    const h = ctx.setup();
    await h.vault.setSecret('tamper/bits', 'bit-flip-plaintext');
    const row = await rows(h, 'tamper/bits', 1);
    for (const index of [0, 5, 20, row.ciphertext.length - 1]) {
      await h.backdoor.writeVersion({ ...row, ciphertext: flip(row.ciphertext, index) });
      await expectIntegrityFailure(h.vault.getSecret('tamper/bits'), []);
    }
    await h.backdoor.writeVersion({
      ...row,
      ciphertext: row.ciphertext.subarray(0, row.ciphertext.length - 4),
    });
    await expectIntegrityFailure(h.vault.getSecret('tamper/bits'), []);
    for (const index of [3, 30]) {
      h.vault.clearCaches();
      await h.backdoor.writeVersion({
        ...row,
        wrappedKey: { ...row.wrappedKey, ciphertext: flip(row.wrappedKey.ciphertext, index) },
      });
      await expectIntegrityFailure(h.vault.getSecret('tamper/bits'), []);
    }
    await h.backdoor.writeVersion(row);
    expect((await h.vault.getSecret('tamper/bits')).value).toBe('bit-flip-plaintext');
  });
}

/** A harness with six sealed `secret.create` events (seq 1–6), and those events as stored. */
async function sealedTrail(ctx: SuiteContext, overrides: Partial<VaultOptions> = {}) {
  const h = ctx.setup(overrides);
  for (let i = 0; i < 6; i++) {
    await h.vault.setSecret(`rewrite/key-${i}`, 'v');
    h.clock.advance(10);
  }
  await h.vault.sealAudit();
  const events = await h.backdoor.auditEvents(h.tenant);
  expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  return { h, events };
}

export function auditTamperTests(ctx: SuiteContext): void {
  it('names a database-level rewrite (events deleted, renumbered, altered, inserted) through the backdoor', async () => {
    // Deleted and the rest renumbered, so the numbering has no gap.
    {
      const { h, events } = await sealedTrail(ctx);
      await h.backdoor.deleteAuditEvent(h.tenant, events[2]!.id);
      await h.backdoor.renumberAudit(h.tenant);
      expect((await h.backdoor.auditEvents(h.tenant)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      const result = await h.vault.verifyAudit();
      expect(result).toMatchObject({ ok: false, checked: 2 });
      expect(result.firstBad).toEqual({ seq: 3, eventId: events[3]!.id, reason: 'removed' });
    }
    // A forged event inserted, the later ones renumbered to make room.
    {
      const { h, events } = await sealedTrail(ctx);
      for (const event of events.slice(2).reverse()) await h.backdoor.patchAuditEvent(h.tenant, event.id, { seq: event.seq + 1 });
      const forged = { ...events[2]!, id: `evt_FORGED${events[2]!.id.slice(10)}`, actor: 'app:intruder', seq: 3 };
      await h.backdoor.insertAuditEvent(forged);
      expect((await h.vault.verifyAudit()).firstBad).toEqual({ seq: 3, eventId: forged.id, reason: 'inserted' });
    }
    // Two events swapped, numbers and all.
    {
      const { h, events } = await sealedTrail(ctx);
      await h.backdoor.patchAuditEvent(h.tenant, events[1]!.id, { seq: 3 });
      await h.backdoor.patchAuditEvent(h.tenant, events[2]!.id, { seq: 2 });
      expect((await h.vault.verifyAudit()).firstBad).toEqual({ seq: 2, eventId: events[2]!.id, reason: 'reordered' });
    }
    // A refusal rewritten into a success (no hash exists to recompute; the checkpoint still knows).
    {
      const { h, events } = await sealedTrail(ctx);
      await h.backdoor.patchAuditEvent(h.tenant, events[4]!.id, { details: { tier: 'critical', type: 'custom' }, timestamp: events[4]!.timestamp + 1 });
      expect((await h.vault.verifyAudit()).firstBad).toEqual({ seq: 5, eventId: events[4]!.id, reason: 'altered' });
    }
    // The last sealed events deleted: the trail ends early.
    {
      const { h, events } = await sealedTrail(ctx);
      await h.backdoor.deleteAuditEvent(h.tenant, events[5]!.id);
      expect((await h.vault.verifyAudit()).firstBad).toEqual({ seq: 6, eventId: null, reason: 'removed' });
    }
  });

  it('names a checkpoint whose digests were recomputed for an altered event (a MAC cannot be forged)', async () => {
    const { h, events } = await sealedTrail(ctx);
    const altered = { ...events[1]!, actor: 'app:intruder' };
    await h.backdoor.patchAuditEvent(h.tenant, altered.id, { actor: altered.actor });
    const [checkpoint] = await h.storage.listRecords({ kind: 'audit_checkpoint', tenant: h.tenant, afterId: null, limit: 1 });
    const digests = [...checkpoint!.record.digests];
    digests[1] = eventDigest(altered);
    await h.storage.commit({
      writes: [{ op: 'put', kind: 'audit_checkpoint', record: { ...checkpoint!.record, digests }, expect: checkpoint!.rev }],
      events: [],
    });
    const result = await h.vault.verifyAudit();
    expect(result).toMatchObject({ ok: false, checkpoints: 0, sealedSeq: 0 });
    expect(result.firstBad).toEqual({ seq: 1, eventId: null, reason: 'checkpoint' });
  });

  it('shows deleted trailing checkpoints (and a rolled-back seal) as an unsealed tail beyond its bound', async () => {
    const h = ctx.setup({ audit: { sealEvery: 1000 } });
    for (let i = 0; i < 4; i++) await h.vault.setSecret(`cp/key-${i}`, 'v');
    await h.vault.sealAudit();
    const [sealBefore] = await h.storage.getRecords([{ kind: 'audit_seal', tenant: h.tenant, id: AUDIT_SEAL_ID }]);
    for (let i = 4; i < 8; i++) await h.vault.setSecret(`cp/key-${i}`, 'v');
    await h.vault.sealAudit();
    // Removing the last checkpoint alone breaks the chain's head…
    const [, last] = await h.storage.listRecords({ kind: 'audit_checkpoint', tenant: h.tenant, afterId: null, limit: 10 });
    await h.storage.commit({ writes: [{ op: 'delete', key: { kind: 'audit_checkpoint', tenant: h.tenant, id: last!.record.id }, expect: last!.rev }], events: [] });
    expect((await h.vault.verifyAudit()).firstBad).toEqual({ seq: 5, eventId: null, reason: 'checkpoint' });
    // …and rolling the seal record back to match leaves a tail no running vault would have left.
    const [sealNow] = await h.storage.getRecords([{ kind: 'audit_seal', tenant: h.tenant, id: AUDIT_SEAL_ID }]);
    await h.storage.commit({ writes: [{ op: 'put', kind: 'audit_seal', record: sealBefore!.record as never, expect: sealNow!.rev }], events: [] });
    await h.vault.close();
    h.clock.advanceSeconds(3600);
    const result = await h.another().verifyAudit();
    expect(result).toMatchObject({ ok: true, firstBad: null, sealedSeq: 4, checked: 4 });
    expect(result.unsealed).toMatchObject({ fromSeq: 5, exceedsBound: true });
    expect(result.unsealed.count).toBeGreaterThanOrEqual(4);
  });
}

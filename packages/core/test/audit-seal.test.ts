import { createHash, createHmac } from 'node:crypto';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../src/contracts/records';
import type { StorageAdapter } from '../src/contracts/storage';
import { testKeyWrapper } from '../src/testing/key-wrappers';
import { checkpointMac, eventCanonical, eventDigest, KNOWN_TOTAL_MAX } from '../src/vault/audit-seal';
import { createVault } from '../src/vault/create-vault';
import type { VaultOptions } from '../src/vault/runtime';
import { overriding } from './support/overriding';

const event: AuditEvent = {
  seq: 7,
  id: 'evt_01J0000000000000000000000',
  tenant: 'default',
  type: 'secret.read',
  path: 'production/openai/api-key',
  actor: 'token:tok_1',
  actorDescription: 'say "hi" \\ 😀',
  ip: '10.0.0.1',
  userAgent: null,
  timestamp: 1_768_473_000_000,
  details: { zeta: 1, alpha: 'x', mid: null, flag: true },
  success: false,
  error: 'not_found',
  version: 3,
};

describe('audit seal: digests and checkpoint MACs', () => {
  it('digests the canonical JSON of every field, the outcome and the position, truncated to 16 bytes', () => {
    const canonical = JSON.stringify([
      2, 7, event.id, 'default', 'secret.read', event.path, event.actor, event.actorDescription, '10.0.0.1', null,
      event.timestamp, [['alpha', 'x'], ['flag', true], ['mid', null], ['zeta', 1]], false, 'not_found', 3,
    ]);
    expect(eventCanonical(event)).toBe(canonical);
    expect(eventDigest(event)).toBe(createHash('sha256').update(canonical).digest('hex').slice(0, 32));
    const changes: Array<Partial<AuditEvent>> = [
      { seq: 8 }, { id: 'evt_other' }, { tenant: 't2' }, { type: 'secret.update' }, { path: null }, { actor: 'key:k' },
      { actorDescription: null }, { ip: null }, { userAgent: 'ua' }, { timestamp: 1 }, { details: {} },
      { success: true }, { error: null }, { version: null },
    ];
    for (const change of changes)
      expect(eventDigest({ ...event, ...change }), JSON.stringify(change)).not.toBe(eventDigest(event));
    // The position can be given apart from the stored seq (verification asks "would it fit here?").
    expect(eventDigest({ ...event, seq: 99 }, 7)).toBe(eventDigest(event));
  });

  it('MACs the checkpoint body under the seal key', () => {
    const key = new Uint8Array(32).fill(7);
    const body = { tenant: 'default', n: 2, fromSeq: 5, toSeq: 6, prevMac: 'ab'.repeat(32), digests: ['00'.repeat(16), '11'.repeat(16)] };
    const expected = createHmac('sha256', key)
      .update(JSON.stringify(['default', 2, 5, 6, body.prevMac, body.digests]))
      .digest('hex');
    expect(checkpointMac(key, body)).toBe(expected);
    expect(checkpointMac(new Uint8Array(32).fill(8), body)).not.toBe(expected);
    expect(checkpointMac(key, { ...body, prevMac: '' })).not.toBe(expected);
  });
});

/** A vault on the memory adapter (which reports each read's seq, as every bundled adapter does), counting read-backs. */
function countingReadBacks(options: Partial<VaultOptions> = {}) {
  const memory = memoryAdapter();
  const calls = { readAudit: [] as number[], tenants: [] as string[] };
  const storage = overriding(memory, {
    readAudit: (query: Parameters<StorageAdapter['readAudit']>[0]) => {
      calls.readAudit.push(query.afterSeq);
      calls.tenants.push(query.tenant);
      return memory.readAudit(query);
    },
  });
  const vault = createVault({ storage, keys: testKeyWrapper(), logger: { warn() {}, error() {} }, ...options });
  return { vault, calls };
}

describe('audit seal: reads sealed as sent', () => {
  it('seals reads whose seq storage reported without reading them back, and verifies them', async () => {
    const { vault, calls } = countingReadBacks();
    await vault.setSecret('sent/key', 'v');
    await vault.sealAudit();
    for (let i = 0; i < 5; i++) await vault.getSecret('sent/key');
    await expect(vault.getSecret('sent/missing')).rejects.toThrow();
    calls.readAudit = [];
    expect(await vault.sealAudit()).toEqual({ checkpoints: 1, sealedSeq: 7 });
    // One look past the last read, for events other instances appended since: none.
    expect(calls.readAudit).toEqual([7]);
    expect(await vault.verifyAudit()).toMatchObject({ ok: true, checked: 7 });
  });

  it('reads back what it did not send, between reads it did', async () => {
    const { vault, calls } = countingReadBacks();
    await vault.getSecret('sent/none').catch(() => undefined);
    await vault.setSecret('sent/key', 'v');
    await vault.getSecret('sent/key');
    calls.readAudit = [];
    expect(await vault.sealAudit()).toEqual({ checkpoints: 1, sealedSeq: 3 });
    expect(calls.readAudit).toEqual([1]);
    expect(await vault.verifyAudit()).toMatchObject({ ok: true, checked: 3 });
  });

  it('keeps at most KNOWN_TOTAL_MAX events across tenants: the oldest tenant\'s are read back instead', async () => {
    const { vault, calls } = countingReadBacks({ audit: { sealEvery: 1_000_000, sealIntervalSeconds: 3600 } });
    const perTenant = 10_000;
    const tenants = Array.from({ length: KNOWN_TOTAL_MAX / perTenant + 1 }, (_, i) => `t${i}`);
    for (const tenant of tenants) {
      await vault.setSecret('held/key', 'v', { tenant });
      for (let i = 0; i < perTenant; i++) await vault.getSecret('held/key', { tenant });
    }
    for (const tenant of tenants) {
      expect(await vault.sealAudit({ tenant })).toEqual({ checkpoints: 3, sealedSeq: perTenant + 1 });
    }
    // The first tenant's reads were pushed out by the last tenant's: its trail is read back, page by
    // page; the others' only from their write on (one page) and one look past the end.
    const reads = (tenant: string) => calls.readAudit.filter((_, i) => calls.tenants[i] === tenant);
    expect(reads('t0')).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
    for (const tenant of tenants.slice(1)) expect(reads(tenant)).toEqual([0, perTenant + 1]);
    for (const tenant of tenants) expect(await vault.verifyAudit({ tenant })).toMatchObject({ ok: true, checked: perTenant + 1 });
    await vault.close();
  }, 60_000);
});

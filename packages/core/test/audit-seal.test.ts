import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../src/contracts/records';
import { checkpointMac, eventCanonical, eventDigest } from '../src/vault/audit-seal';

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

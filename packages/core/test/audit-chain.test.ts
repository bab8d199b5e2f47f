import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  GENESIS_HASH,
  type LegacyAuditEvent,
  legacyAuditDigest as auditDigest,
  legacyAuditLink as auditLink,
  outcomeLabel,
  verifyLegacyAuditChains,
} from '../src/domain/audit-chain';

const base = {
  id: 'evt_01J0000000000000000000000',
  tenant: 'default',
  chain: 3,
  type: 'secret.read' as const,
  path: 'production/openai/api-key',
  actor: 'token:tok_1',
  actorDescription: null as string | null,
  ip: '10.0.0.1' as string | null,
  userAgent: null as string | null,
  timestamp: 1_768_473_000_000,
  details: {} as Record<string, string | number | boolean | null>,
};

function reference(draft: typeof base): string {
  const details = Object.keys(draft.details)
    .sort()
    .map((k) => [k, draft.details[k]]);
  const array = [
    1,
    draft.id,
    draft.tenant,
    draft.chain,
    draft.type,
    draft.path,
    draft.actor,
    draft.actorDescription,
    draft.ip,
    draft.userAgent,
    draft.timestamp,
    details,
  ];
  return createHash('sha256').update(JSON.stringify(array)).digest('hex');
}

describe('legacy (v1) audit chains, verified for upgrades', () => {
  it.each([
    ['plain', {}],
    ['quotes and backslashes', { actorDescription: 'say "hi" \\ bye' }],
    ['control characters', { userAgent: 'tab\there\nnewline\u0001' }],
    ['unicode and surrogate pairs', { actorDescription: 'café 日本 😀' }],
    ['a lone surrogate', { userAgent: 'broken \ud800 pair' }],
    ['line separators', { actorDescription: 'a\u2028b\u2029c' }],
    ['details in any key order', { details: { zeta: 1, alpha: 'x', mid: null, flag: true } }],
  ])('digests the canonical JSON exactly (%s)', (_name, patch) => {
    const draft = { ...base, ...patch };
    expect(auditDigest(draft)).toBe(reference(draft));
  });

  it('links each event to the previous hash, the digest and the outcome', () => {
    const digest = auditDigest(base);
    const ok = auditLink(GENESIS_HASH, digest, { success: true, error: null, version: 2 });
    const expected = createHash('sha256')
      .update(Buffer.from(GENESIS_HASH, 'hex'))
      .update(Buffer.from(digest, 'hex'))
      .update('1||2')
      .digest('hex');
    expect(ok).toBe(expected);
    expect(outcomeLabel({ success: false, error: 'not_found', version: null })).toBe('0|not_found|');
    expect(auditLink(GENESIS_HASH, digest, { success: false, error: 'not_found', version: 2 })).not.toBe(ok);
    expect(auditLink(ok, digest, { success: true, error: null, version: 2 })).not.toBe(ok);
  });

  function chain(length: number, chainNo = 0): LegacyAuditEvent[] {
    const events: LegacyAuditEvent[] = [];
    let previous = GENESIS_HASH;
    for (let seq = 1; seq <= length; seq++) {
      const draft = { ...base, id: `evt_${chainNo}_${seq}`, chain: chainNo, timestamp: base.timestamp + seq };
      const outcome = { success: seq % 3 !== 0, error: seq % 3 === 0 ? 'not_found' : null, version: seq };
      previous = auditLink(previous, auditDigest(draft), outcome);
      events.push({ ...draft, ...outcome, seq, hash: previous });
    }
    return events;
  }

  it('verifies whole chains and names an altered event, a removed one and a removed tail', () => {
    const a = chain(5, 0);
    const b = chain(3, 1);
    const heads = new Map([
      ['default|0', { seq: 5, hash: a[4]!.hash }],
      ['default|1', { seq: 3, hash: b[2]!.hash }],
    ]);
    expect(verifyLegacyAuditChains([...b, ...a].reverse(), heads)).toEqual([]);
    const altered = a.map((e, i) => (i === 2 ? { ...e, actor: 'app:intruder' } : e));
    expect(verifyLegacyAuditChains([...altered, ...b], heads)).toEqual([
      { tenant: 'default', chain: 0, seq: 3, eventId: 'evt_0_3', reason: 'altered' },
    ]);
    const outcome = a.map((e, i) => (i === 2 ? { ...e, success: true, error: null } : e));
    expect(verifyLegacyAuditChains(outcome, heads)[0]).toMatchObject({ seq: 3, reason: 'altered' });
    const removed = a.filter((_, i) => i !== 1);
    expect(verifyLegacyAuditChains([...removed, ...b], heads)).toEqual([
      { tenant: 'default', chain: 0, seq: 2, eventId: 'evt_0_3', reason: 'missing' },
    ]);
    expect(verifyLegacyAuditChains([...a.slice(0, 4), ...b], heads)).toEqual([
      { tenant: 'default', chain: 0, seq: 5, eventId: null, reason: 'truncated' },
    ]);
    // Without heads, a removed tail cannot be told from a short chain.
    expect(verifyLegacyAuditChains([...a.slice(0, 4), ...b])).toEqual([]);
  });
});

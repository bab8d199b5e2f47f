import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditDigest, auditLink, GENESIS_HASH, outcomeLabel } from '../src/domain/audit-chain';

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

describe('audit chain', () => {
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
});

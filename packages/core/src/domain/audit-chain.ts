/**
 * The audit trail is a set of hash chains per tenant. Each event's `hash` links it to the one
 * before it in its chain:
 *
 *   digest = SHA-256(canonical JSON of the draft)                      — computed by the vault
 *   hash   = SHA-256(prev hash bytes ‖ digest bytes ‖ UTF-8 "<1|0>|<error>|<version>")
 *                                                                      — computed by storage
 *
 * Storage computes the link because only it knows the chain head atomically, and it appends the
 * outcome because for an audited read only storage knows it. The first event of a chain links to
 * GENESIS_HASH. `verifyAudit` recomputes both and names the first event that does not fit.
 */
import { createHash } from 'node:crypto';
import type { AuditDraft, AuditOutcome } from '../contracts/records';

export const GENESIS_HASH = '0'.repeat(64);

/** The bytes that stand for an outcome in a link: `1||` on success, `0|<error>|<version>` otherwise. */
export function outcomeLabel(outcome: AuditOutcome): string {
  return `${outcome.success ? '1' : '0'}|${outcome.error ?? ''}|${outcome.version ?? ''}`;
}

export function auditDigest(draft: Omit<AuditDraft, 'digest'>): string {
  const details = Object.keys(draft.details)
    .sort()
    .map((key) => [key, draft.details[key]]);
  const canonical = JSON.stringify([
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
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

export function auditLink(previousHash: string, digest: string, outcome: AuditOutcome): string {
  return createHash('sha256')
    .update(Buffer.from(previousHash, 'hex'))
    .update(Buffer.from(digest, 'hex'))
    .update(outcomeLabel(outcome))
    .digest('hex');
}

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

const json = JSON.stringify;
/** Strings JSON.stringify would copy verbatim between quotes (no quote, backslash, control or surrogate). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const VERBATIM = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;
const str = (value: string | null): string =>
  value === null ? 'null' : VERBATIM.test(value) ? `"${value}"` : json(value);

/**
 * SHA-256 of the draft's canonical form: the JSON array
 * `[1, id, tenant, chain, type, path, actor, actorDescription, ip, userAgent, timestamp, details]`
 * with `details` as `[key, value]` pairs sorted by key. Written out element by element, which gives
 * the same bytes as `JSON.stringify` of that array at a fraction of the cost.
 */
export function auditDigest(draft: Omit<AuditDraft, 'digest'>): string {
  const keys = Object.keys(draft.details);
  const details = keys.length === 0 ? '[]' : json(keys.sort().map((key) => [key, draft.details[key]]));
  // Ids (`evt_` + Crockford base32) and event types need no escaping.
  const canonical = `[1,"${draft.id}",${str(draft.tenant)},${json(draft.chain)},"${draft.type}",${str(draft.path)},${str(draft.actor)},${str(draft.actorDescription)},${str(draft.ip)},${str(draft.userAgent)},${json(draft.timestamp)},${details}]`;
  return createHash('sha256').update(canonical).digest('hex');
}

export function auditLink(previousHash: string, digest: string, outcome: AuditOutcome): string {
  const label = outcomeLabel(outcome);
  const input = Buffer.allocUnsafe(64 + Buffer.byteLength(label));
  input.write(previousHash, 0, 32, 'hex');
  input.write(digest, 32, 32, 'hex');
  input.write(label, 64, 'utf8');
  return createHash('sha256').update(input).digest('hex');
}

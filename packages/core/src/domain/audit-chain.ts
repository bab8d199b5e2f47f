/**
 * The audit format before storage v2, kept only to verify a trail being upgraded: events were kept
 * in hash chains per tenant, each linked to the one before it in its chain:
 *
 *   digest = SHA-256(canonical JSON of the draft)
 *   hash   = SHA-256(prev hash bytes ‖ digest bytes ‖ UTF-8 "<1|0>|<error>|<version>")
 *
 * An adapter's upgrade code reads its old rows into `LegacyAuditEvent`s and calls
 * `verifyLegacyAuditChains`; core computes the old hashes, never the adapter. The verified trail is
 * then sealed as the first checkpoint by the v2 sealer.
 */
import { createHash } from 'node:crypto';
import type { AuditDetails, AuditOutcome } from '../contracts/records';

export const GENESIS_HASH = '0'.repeat(64);

/** An event as stored by the v1 contract. */
export interface LegacyAuditEvent extends AuditOutcome {
  id: string;
  tenant: string;
  chain: number;
  /** Position in its chain: 1, 2, 3… */
  seq: number;
  type: string;
  path: string | null;
  actor: string;
  actorDescription: string | null;
  ip: string | null;
  userAgent: string | null;
  timestamp: number;
  details: AuditDetails;
  hash: string;
}

/** The bytes that stand for an outcome in a link: `1||` on success, `0|<error>|<version>` otherwise. */
export function outcomeLabel(outcome: AuditOutcome): string {
  return `${outcome.success ? '1' : '0'}|${outcome.error ?? ''}|${outcome.version ?? ''}`;
}

const json = JSON.stringify;

/**
 * SHA-256 of the v1 draft's canonical form:
 * `[1, id, tenant, chain, type, path, actor, actorDescription, ip, userAgent, timestamp, details]`.
 */
export function legacyAuditDigest(event: Omit<LegacyAuditEvent, 'seq' | 'hash' | keyof AuditOutcome>): string {
  const keys = Object.keys(event.details).sort();
  const canonical = json([
    1,
    event.id,
    event.tenant,
    event.chain,
    event.type,
    event.path,
    event.actor,
    event.actorDescription,
    event.ip,
    event.userAgent,
    event.timestamp,
    keys.map((key) => [key, event.details[key]]),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

export function legacyAuditLink(previousHash: string, digest: string, outcome: AuditOutcome): string {
  const label = outcomeLabel(outcome);
  const input = Buffer.allocUnsafe(64 + Buffer.byteLength(label));
  input.write(previousHash, 0, 32, 'hex');
  input.write(digest, 32, 32, 'hex');
  input.write(label, 64, 'utf8');
  return createHash('sha256').update(input).digest('hex');
}

export interface LegacyChainBreak {
  tenant: string;
  chain: number;
  /** The position where the chain stops fitting. */
  seq: number;
  /** The first event that does not fit (null when the chain's tail is missing). */
  eventId: string | null;
  /** altered: the event or its link changed; missing: events before it were removed; truncated: the tail is gone. */
  reason: 'altered' | 'missing' | 'truncated';
}

/**
 * Verify v1 hash chains: every chain of every tenant must run 1, 2, 3… with each hash linking to the
 * one before. `heads` (the stored chain heads, `tenant|chain` → { seq, hash }), when given, catches a
 * removed tail. Returns the first break of each broken chain; [] when all hold.
 */
export function verifyLegacyAuditChains(
  events: Iterable<LegacyAuditEvent>,
  heads?: Map<string, { seq: number; hash: string }>,
): LegacyChainBreak[] {
  const chains = new Map<string, LegacyAuditEvent[]>();
  for (const event of events) {
    const key = `${event.tenant}|${event.chain}`;
    let list = chains.get(key);
    if (!list) chains.set(key, (list = []));
    list.push(event);
  }
  for (const key of heads?.keys() ?? []) if (!chains.has(key)) chains.set(key, []);
  const breaks: LegacyChainBreak[] = [];
  for (const [key, list] of chains) {
    list.sort((a, b) => a.seq - b.seq);
    const [tenant, chainText] = [key.slice(0, key.lastIndexOf('|')), key.slice(key.lastIndexOf('|') + 1)];
    const chain = Number(chainText);
    let previous = GENESIS_HASH;
    let expected = 1;
    let broken: LegacyChainBreak | null = null;
    for (const event of list) {
      if (event.seq !== expected) {
        broken = { tenant, chain, seq: expected, eventId: event.id, reason: 'missing' };
        break;
      }
      const { seq: _s, hash: _h, success, error, version, ...draft } = event;
      if (legacyAuditLink(previous, legacyAuditDigest(draft), { success, error, version }) !== event.hash) {
        broken = { tenant, chain, seq: event.seq, eventId: event.id, reason: 'altered' };
        break;
      }
      previous = event.hash;
      expected++;
    }
    const head = heads?.get(key);
    if (!broken && head) {
      if (head.seq >= expected) broken = { tenant, chain, seq: expected, eventId: null, reason: 'truncated' };
      else if (head.seq === expected - 1 && head.hash !== previous)
        broken = { tenant, chain, seq: head.seq, eventId: null, reason: 'altered' };
    }
    if (broken) breaks.push(broken);
  }
  return breaks;
}

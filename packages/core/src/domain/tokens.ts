/**
 * Rules of scoped tokens, without I/O: liveness, spending a use, and carving a child out of its
 * parent. A token tree shares ONE budget: a child's uses come out of its parent's remaining uses,
 * so the reads of a whole tree never exceed the root's `maxUses`; a child never outlives its parent.
 */
import type { TokenRecord } from '../contracts/records';

export type TokenUseOutcome = 'ok' | 'token_revoked' | 'token_expired' | 'token_exhausted';

/** Whether a token may be used at `now` (an unknown token reads as revoked); revoked > expired > exhausted. */
export function tokenUseOutcome(token: TokenRecord | null, now: number): TokenUseOutcome {
  if (token === null || token.revokedAt !== null) return 'token_revoked';
  if (token.expiresAt <= now) return 'token_expired';
  if (token.usesRemaining !== null && token.usesRemaining <= 0) return 'token_exhausted';
  return 'ok';
}

/**
 * Spend one use. `next` is the record to store (expecting the rev it was read at), or null when the
 * token is unlimited and nothing changes.
 */
export function spendUse(
  token: TokenRecord | null,
  now: number,
): { outcome: 'ok'; next: TokenRecord | null } | { outcome: Exclude<TokenUseOutcome, 'ok'> } {
  const outcome = tokenUseOutcome(token, now);
  if (outcome !== 'ok') return { outcome };
  const live = token!;
  return {
    outcome: 'ok',
    next: live.usesRemaining === null ? null : { ...live, usesRemaining: live.usesRemaining - 1 },
  };
}

export type CarveRefusal =
  | { refusal: Exclude<TokenUseOutcome, 'ok'> }
  /** The parent is limited: the child must state `maxUses`, at most what the parent has left. */
  | { refusal: 'budget_required' | 'budget_exceeded'; left: number };

export interface Carved {
  /** The child's `maxUses` (and initial `usesRemaining`). */
  maxUses: number | null;
  /** The child's expiry: never later than the parent's. */
  expiresAt: number;
  /**
   * The parent as it must be stored in the same commit (its budget carved), or null when it is
   * unlimited and only its revision is checked. Either way the commit expects the rev it was read at.
   */
  parentNext: TokenRecord | null;
}

/**
 * Carve a child out of `parent` at `now`: the parent must be live (unrevoked, unexpired, with uses
 * left if limited); a limited parent gives up exactly the child's `maxUses`.
 */
export function carveChild(
  parent: TokenRecord | null,
  wanted: { maxUses: number | null; expiresAt: number },
  now: number,
): Carved | CarveRefusal {
  const outcome = tokenUseOutcome(parent, now);
  if (outcome !== 'ok') return { refusal: outcome };
  const live = parent!;
  const expiresAt = Math.min(wanted.expiresAt, live.expiresAt);
  const left = live.usesRemaining;
  if (left === null) return { maxUses: wanted.maxUses, expiresAt, parentNext: null };
  if (wanted.maxUses === null) return { refusal: 'budget_required', left };
  if (wanted.maxUses > left) return { refusal: 'budget_exceeded', left };
  return { maxUses: wanted.maxUses, expiresAt, parentNext: { ...live, usesRemaining: left - wanted.maxUses } };
}

export function isCarveRefusal(result: Carved | CarveRefusal): result is CarveRefusal {
  return 'refusal' in result;
}

/** The lineage of a token minted by `parent` (nearest first), or of a root minted by `actor`. */
export function lineageUnder(parent: TokenRecord | null, actor: string): string[] {
  return parent === null ? [actor] : [`token:${parent.id}`, ...parent.lineage];
}

/** Would this token be listed as active at `now`: unrevoked, unexpired, with uses left. */
export function tokenActive(token: TokenRecord, now: number): boolean {
  return tokenUseOutcome(token, now) === 'ok';
}

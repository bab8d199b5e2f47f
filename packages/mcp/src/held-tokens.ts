/**
 * Tokens this server obtained through `request_token` or `check_approval`. Their values stay in
 * this process: the agent sees ids, scopes and expiry, and names a token by id to use it. Gone
 * with the process; expired ones are dropped when looked up.
 */
import type { ScopedToken, Tier } from '@agentvault/client';

export interface HeldToken {
  id: string;
  value: string;
  scope: string;
  approvedTier: Tier | null;
  expiresAt: Date | null;
}

/** What an agent may see of a token. */
export interface TokenFacts {
  token_id: string;
  scope: string;
  approved_tier: Tier | null;
  expires_at: string | null;
}

export function tokenFacts(token: Pick<HeldToken, 'id' | 'scope' | 'approvedTier' | 'expiresAt'>): TokenFacts {
  return {
    token_id: token.id,
    scope: token.scope,
    approved_tier: token.approvedTier,
    expires_at: token.expiresAt?.toISOString() ?? null,
  };
}

export class HeldTokens {
  readonly #tokens = new Map<string, HeldToken>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Keep a freshly issued or collected token; returns what the agent may see of it. */
  hold(token: ScopedToken): TokenFacts {
    if (!token.id || !token.value) throw new Error('Only an issued token can be held');
    const held: HeldToken = {
      id: token.id,
      value: token.value,
      scope: token.scope,
      approvedTier: token.approvedTier,
      expiresAt: token.expiresAt,
    };
    this.#tokens.set(held.id, held);
    return tokenFacts(held);
  }

  /** The token's value, or null if this server does not hold it (any more). */
  valueOf(id: string): string | null {
    const held = this.#tokens.get(id);
    if (!held) return null;
    if (held.expiresAt && held.expiresAt.getTime() <= this.#now()) {
      this.#tokens.delete(id);
      return null;
    }
    return held.value;
  }

  has(id: string): boolean {
    return this.valueOf(id) !== null;
  }
}

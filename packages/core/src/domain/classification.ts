export const TIERS = ['standard', 'sensitive', 'critical'] as const;
/** How much human control a secret needs: standard < sensitive < critical. */
export type Tier = (typeof TIERS)[number];

export const SECRET_TYPES = [
  'api_key',
  'oauth_token',
  'db_credential',
  'ssh_key',
  'payment_credential',
  'custom',
] as const;
/** What a secret is; used for display, filtering and rotation-handler routing, never for access control. */
export type SecretType = (typeof SECRET_TYPES)[number];

/** 0 for standard, 1 for sensitive, 2 for critical. */
export function tierRank(tier: Tier): number {
  return TIERS.indexOf(tier);
}

export function maxTier(a: Tier, b: Tier): Tier {
  return tierRank(a) >= tierRank(b) ? a : b;
}

/** The tiers a holder approved for `tier` may touch, lowest first. */
export function tiersUpTo(tier: Tier): Tier[] {
  return TIERS.slice(0, tierRank(tier) + 1);
}

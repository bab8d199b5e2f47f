/** Input schemas of agent keys, scoped tokens and approvals (in-process, camelCase). */
import { z } from 'zod';
import { ROLES } from '../contracts/records';
import { descriptionField } from './fields';
import { callShape } from './secrets';

/** What a well-formed agent key looks like: the prefix and at least 192 random bits in base64url. */
export const AGENT_KEY_FORMAT = /^ass_live_[A-Za-z0-9_-]{32,200}$/;

export const createAgentKeySchema = z.strictObject({
  description: descriptionField.nullable().optional(),
  /**
   * Import a key the host already holds (e.g. from its own secret store) instead of minting one.
   * Only its hash is stored; importing the same value again returns the same key.
   */
  value: z.string().regex(AGENT_KEY_FORMAT, 'an agent key is ass_live_ followed by 32–200 characters of A-Z a-z 0-9 _ -').optional(),
  /** Default `["admin"]`. */
  roles: z.array(z.enum(ROLES)).min(1).max(ROLES.length).default(['admin']),
});

export const tokenRequestSchema = z.strictObject({
  scope: z.string().min(1).max(4096),
  /** Default 1 h; at most the vault's `tokens.maxTtlSeconds`. */
  ttlSeconds: z.number().int().positive().optional(),
  description: descriptionField.nullable().optional(),
  /** IPv4/IPv6 addresses and CIDR ranges the token may be used from; null = anywhere. */
  allowedIps: z.array(z.string().min(1).max(64)).min(1).max(100).nullable().optional(),
  /**
   * null = unlimited within the TTL; 1 = single use. A limited token's child must state it (at most the
   * token's remaining uses, carved out of them).
   */
  maxUses: z.number().int().positive().max(1_000_000_000).nullable().optional(),
  /** Skip approval for sensitive secrets, where the vault allows it. Ignored for critical ones. */
  waiveApproval: z.boolean().optional(),
});

export const approveSchema = z.strictObject({ comment: z.string().max(1024).nullable().optional() });
export const denySchema = z.strictObject({ reason: z.string().max(1024).nullable().optional() });

export const waitForApprovalSchema = z.strictObject({
  /** Give up (AgentVaultApprovalPendingError) after this long. Default 5 minutes. */
  timeoutMs: z
    .number()
    .int()
    .positive()
    .max(7 * 86_400_000)
    .default(300_000),
  /** How often to look at storage, which other instances may have changed. Default 1 s. */
  pollIntervalMs: z.number().int().min(10).max(600_000).default(1000),
  signal: z.custom<AbortSignal>((value) => value instanceof AbortSignal, 'not an AbortSignal').optional(),
  ...callShape,
});

export const listPageSchema = z.strictObject({
  limit: z.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).nullable().optional(),
  ...callShape,
});

export const listTokensSchema = listPageSchema.extend({
  /** Only tokens that can still be used (unrevoked, unexpired). Default true. */
  activeOnly: z.boolean().default(true),
});

export const listApprovalsSchema = listPageSchema.extend({
  status: z.enum(['pending', 'approved', 'denied', 'expired']).optional(),
});

/**
 * What a front door (the HTTP layer) needs from the vault to refuse floods cheaply: resolve a
 * credential without auditing its failure, and append one aggregate event for many refusals.
 * Failed authentications and refusals raised before the vault are audited in aggregate — one event
 * per client address and window, with counts — so a flood cannot amplify itself into storage
 * (DESIGN.md, "Audit").
 */
import { z } from 'zod';
import type { AuditDetails } from '../contracts/records';
import type { Principal } from '../domain/principals';
import { parseInput } from '../schemas/fields';
import { tenantField } from '../schemas/secrets';
import { type CallContext, principalFor } from './authorization';
import { draftEvent } from './auditing';
import type { Runtime } from './runtime';

/** The aggregate event types: failed authentications, and other refusals raised before the vault. */
export const AGGREGATE_AUDIT_TYPES = ['auth.failed', 'request.refused'] as const;

const codeField = z.string().regex(/^[a-z_]{1,40}$/, 'an error code is 1–40 of a-z _');

export const refusalBatchSchema = z
  .strictObject({
    type: z.enum(AGGREGATE_AUDIT_TYPES),
    /** Default: the vault's default tenant (an unknown credential names none). */
    tenant: tenantField.optional(),
    /** The client address; null when unknown, or for the overflow of a window with too many addresses. */
    ip: z.string().max(64).nullable(),
    /** The window, in ms since the epoch: [windowStart, windowEnd). */
    windowStart: z.number().int().nonnegative(),
    windowEnd: z.number().int().positive(),
    /** Refusals by error code (`unauthorized`, `rate_limited`, `invalid_request`, …). */
    counts: z.record(codeField, z.number().int().positive()).refine((counts) => {
      const size = Object.keys(counts).length;
      return size >= 1 && size <= 20;
    }, 'between 1 and 20 codes'),
    /** Refusals from addresses beyond the aggregator's bound, counted together. */
    overflow: z.boolean().optional(),
  })
  .refine((batch) => batch.windowEnd > batch.windowStart, {
    message: 'windowEnd must be after windowStart',
    path: ['windowEnd'],
  });
export type RefusalBatch = z.input<typeof refusalBatchSchema>;

/** What the HTTP layer needs to refuse floods cheaply (a section of `Vault`). */
export interface EdgeOperations {
  /**
   * The principal behind a credential, like `authenticate`, but a failure is NOT audited: the
   * caller MUST audit it itself, in aggregate (`auditRefusals` with `auth.failed`).
   */
  resolveCredential(credential: string, options?: { ip?: string | null }): Promise<Principal>;
  /** Append one aggregate event for the refusals of one client address over one window. */
  auditRefusals(batch: RefusalBatch): Promise<void>;
}

export function edgeOperations(rt: Runtime): EdgeOperations {
  /**
   * The principal behind a credential, like `authenticate`, but a failure is NOT audited: the
   * caller MUST audit it itself, in aggregate (`auditRefusals` with `auth.failed`). Unknown,
   * revoked and expired credentials throw AgentVaultAuthError; a token used outside its address
   * allowlist throws AgentVaultPermissionError.
   */
  async function resolveCredential(credential: string, options: { ip?: string | null } = {}): Promise<Principal> {
    return principalFor(rt, String(credential), options.ip ?? null);
  }

  /**
   * Append one aggregate event for the refusals of one client address over one window. The event
   * is a refusal (`success: false`) whose error is the most frequent code; its details hold the
   * total `count`, the count per code, and the window. It names no credential and no actor
   * (`anonymous`): the refused requests had none that authenticated.
   */
  async function auditRefusals(batch: RefusalBatch): Promise<void> {
    const input = parseInput(refusalBatchSchema, batch, 'refusal batch');
    const tenant = input.tenant ?? rt.config.defaultTenant;
    const call: CallContext = {
      principal: { kind: 'app', name: 'anonymous', tenant },
      tenant,
      actor: 'anonymous',
      actorDescription: null,
      ip: input.ip,
      userAgent: null,
    };
    const entries = Object.entries(input.counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const details: AuditDetails = {
      count: entries.reduce((sum, [, n]) => sum + n, 0),
      window_start: new Date(input.windowStart).toISOString(),
      window_seconds: Math.round((input.windowEnd - input.windowStart) / 1000),
    };
    for (const [code, n] of entries) details[`count_${code}`] = n;
    if (input.overflow) details.overflow = true;
    await rt.storage.commit({
      writes: [],
      events: [{ ...draftEvent(rt, call, input.type, null, details), success: false, error: entries[0]![0], version: null }],
    });
  }

  return { resolveCredential, auditRefusals };
}

/** Reading the audit trail, checking it against its sealed checkpoints, and sealing on demand. */
import { z } from 'zod';
import { decodeCursor, encodeCursor } from '../domain/cursor';
import { AgentVaultValidationError } from '../errors';
import { parseInput } from '../schemas/fields';
import { auditQuerySchema, type CallOptions, callSchema } from '../schemas/secrets';
import type { AuditProblem, AuditVerification, SealResult } from './audit-seal';
import { appendEvent, operation, successEvent } from './auditing';
import { authorizeAuditRead, consumeUse, requireRole } from './authorization';
import type { Runtime } from './runtime';
import { type AuditPage, toAuditView } from './views';

export type AuditQueryOptions = z.input<typeof auditQuerySchema>;

export type { AuditProblem, AuditProblemReason, AuditVerification, SealResult, UnsealedTail } from './audit-seal';
/** The earlier name of a verification problem. */
export type AuditBreak = AuditProblem;

const auditCursor = z.object({ t: z.number(), id: z.string(), o: z.enum(['asc', 'desc']) });

export function auditOperations(rt: Runtime) {
  const { storage } = rt;

  /**
   * Check the caller's tenant's trail against its sealed checkpoints: the first altered, removed,
   * inserted or reordered event up to the last checkpoint, and the unsealed tail after it.
   */
  async function verifyAudit(options?: CallOptions): Promise<AuditVerification> {
    return operation(rt, { type: 'audit.verify', path: null }, callSchema, options, async (call) => {
      authorizeAuditRead(call);
      await consumeUse(rt, call);
      const result = await rt.sealer.verify(call.tenant);
      const ok = result.firstBad === null;
      await appendEvent(
        rt,
        successEvent(rt, call, 'audit.verify', null, null, {
          ok,
          checked: result.checked,
          checkpoints: result.checkpoints,
          unsealed: result.unsealed.count,
          firstBadSeq: result.firstBad?.seq ?? null,
        }),
      );
      return { ok, ...result, breaks: result.firstBad ? [result.firstBad] : [] };
    });
  }

  /** Seal the caller's tenant's unsealed events now (admins and in-process callers). */
  async function sealAudit(options?: CallOptions): Promise<SealResult> {
    return operation(rt, { type: 'audit.verify', path: null }, callSchema, options, async (call) => {
      requireRole(call, 'admin', 'seal the audit trail');
      return rt.sealer.seal(call.tenant);
    });
  }

  /** Audit events of the caller's tenant, newest first by default, with filters and cursor pagination. */
  async function queryAudit(query?: AuditQueryOptions, options?: CallOptions): Promise<AuditPage> {
    return operation(rt, { type: 'audit.read', path: null }, callSchema, options, async (call) => {
      const q = parseInput(auditQuerySchema, query ?? {}, 'audit query');
      authorizeAuditRead(call);
      const cursor = q.cursor ? decodeCursor(q.cursor, auditCursor) : null;
      if (cursor && cursor.o !== q.order) {
        throw new AgentVaultValidationError('Invalid cursor', [
          { path: ['cursor'], message: 'cursor was issued for the other order' },
        ]);
      }
      await consumeUse(rt, call);
      const events = await storage.queryAudit({
        tenant: call.tenant,
        ...(q.namespace !== undefined ? { namespace: q.namespace } : {}),
        ...(q.path !== undefined ? { path: q.path } : {}),
        ...(q.actor !== undefined ? { actor: q.actor } : {}),
        ...(q.type !== undefined ? { types: q.type } : {}),
        ...(q.since !== undefined ? { since: q.since } : {}),
        ...(q.until !== undefined ? { until: q.until } : {}),
        ...(q.success !== undefined ? { success: q.success } : {}),
        after: cursor ? { timestamp: cursor.t, id: cursor.id } : null,
        order: q.order,
        limit: q.limit + 1,
      });
      const page = events.slice(0, q.limit);
      const last = page.at(-1);
      await appendEvent(
        rt,
        successEvent(rt, call, 'audit.read', q.namespace || null, null, { count: page.length }),
      );
      return {
        events: page.map(toAuditView),
        nextCursor:
          events.length > q.limit && last
            ? encodeCursor({ t: last.timestamp, id: last.id, o: q.order })
            : null,
      };
    });
  }

  return { queryAudit, verifyAudit, sealAudit };
}

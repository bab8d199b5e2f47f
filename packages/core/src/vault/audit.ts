/** Reading the audit trail and checking that its hash chains are whole. */
import { z } from 'zod';
import type { AuditEvent } from '../contracts/records';
import { auditDigest, auditLink, GENESIS_HASH } from '../domain/audit-chain';
import { decodeCursor, encodeCursor } from '../domain/cursor';
import { AgentVaultValidationError } from '../errors';
import { parseInput } from '../schemas/fields';
import { auditQuerySchema, type CallOptions, callSchema } from '../schemas/secrets';
import { operation, successEvent } from './auditing';
import { authorizeAuditRead, consumeUse } from './authorization';
import type { Runtime } from './runtime';
import { type AuditPage, toAuditView } from './views';

export type AuditQueryOptions = z.input<typeof auditQuerySchema>;

export interface AuditBreak {
  chain: number;
  /** The position where the chain stops fitting. */
  seq: number;
  /** The first event that does not fit (null when the chain's tail is missing). */
  eventId: string | null;
  /** altered: the event or its link changed; missing: events before it were removed; truncated: the tail was removed. */
  reason: 'altered' | 'missing' | 'truncated';
}

export interface AuditVerification {
  ok: boolean;
  /** Events checked. */
  checked: number;
  chains: number;
  /** The first break of each broken chain, earliest position first. */
  breaks: AuditBreak[];
}

const auditCursor = z.object({ t: z.number(), id: z.string(), o: z.enum(['asc', 'desc']) });
const CHAIN_PAGE = 500;

function recomputeLink(previous: string, event: AuditEvent): string {
  const { seq: _seq, hash: _hash, success, error, version, ...draft } = event;
  return auditLink(previous, auditDigest(draft), { success, error, version });
}

export function auditOperations(rt: Runtime) {
  const { storage } = rt;

  async function verifyChain(tenant: string, head: { chain: number; seq: number; hash: string }) {
    let previous = GENESIS_HASH;
    let expected = 1;
    let checked = 0;
    while (expected <= head.seq) {
      const events = await storage.readAuditChain({
        tenant,
        chain: head.chain,
        afterSeq: expected - 1,
        limit: CHAIN_PAGE,
      });
      if (events.length === 0) break;
      for (const event of events) {
        if (event.seq > head.seq) return { checked };
        if (event.seq !== expected)
          return {
            checked,
            broken: { chain: head.chain, seq: expected, eventId: event.id, reason: 'missing' as const },
          };
        checked++;
        if (recomputeLink(previous, event) !== event.hash) {
          return {
            checked,
            broken: { chain: head.chain, seq: event.seq, eventId: event.id, reason: 'altered' as const },
          };
        }
        previous = event.hash;
        expected++;
      }
    }
    if (expected <= head.seq)
      return {
        checked,
        broken: { chain: head.chain, seq: expected, eventId: null, reason: 'truncated' as const },
      };
    if (previous !== head.hash)
      return {
        checked,
        broken: { chain: head.chain, seq: head.seq, eventId: null, reason: 'altered' as const },
      };
    return { checked };
  }

  /** Recompute every chain of the caller's tenant up to its current head and report where each breaks. */
  async function verifyAudit(options?: CallOptions): Promise<AuditVerification> {
    return operation(rt, { type: 'audit.verify', path: null }, callSchema, options, async (call) => {
      authorizeAuditRead(call);
      await consumeUse(rt, call);
      const heads = await storage.auditHeads(call.tenant);
      let checked = 0;
      const breaks: AuditBreak[] = [];
      for (const head of heads.sort((a, b) => a.chain - b.chain)) {
        const result = await verifyChain(call.tenant, head);
        checked += result.checked;
        if (result.broken) breaks.push(result.broken);
      }
      breaks.sort((a, b) => a.seq - b.seq || a.chain - b.chain);
      await storage.appendAudit(
        successEvent(rt, call, 'audit.verify', null, null, {
          checked,
          chains: heads.length,
          breaks: breaks.length,
        }),
      );
      return { ok: breaks.length === 0, checked, chains: heads.length, breaks };
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
      await storage.appendAudit(
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

  return { queryAudit, verifyAudit };
}

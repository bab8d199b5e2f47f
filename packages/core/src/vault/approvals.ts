/**
 * Approval requests: open, decide (quorum, decide-once, never by anyone in the request's chain),
 * claim (the token handed to the requester once, minted atomically with its parent's liveness and
 * budget), expire. Each step reads the records, applies a pure rule (domain/approvals) and commits
 * expecting the revisions it read; a lost race re-reads and decides again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { ApprovalRecord, RecordKey, TokenRecord } from '../contracts/records';
import type { Stored } from '../contracts/storage';
import { claimApproval, decideApproval, effectiveStatus, expireApproval as expiredRecord } from '../domain/approvals';
import type { Tier } from '../domain/classification';
import { decodeCursor, encodeCursor } from '../domain/cursor';
import { newId } from '../domain/ids';
import { hasRole } from '../domain/principals';
import type { Scope } from '../domain/scopes';
import {
  AgentVaultApprovalPendingError,
  AgentVaultConflictError,
  AgentVaultGoneError,
  AgentVaultNotFoundError,
  AgentVaultPermissionError,
} from '../errors';
import { approveSchema, denySchema, listApprovalsSchema, waitForApprovalSchema } from '../schemas/access';
import { parseInput } from '../schemas/fields';
import { type CallOptions, callSchema } from '../schemas/secrets';
import { idKey, mustRead, newToken, readOne } from './access-records';
import { type Approval, approvalView, issuedToken, type Page, pendingToken, type ScopedToken } from './access-views';
import { alreadyAudited, appendEvent, operation, successEvent } from './auditing';
import { type CallContext, requireRole } from './authorization';
import { emitEvent, type VaultEvent } from './events';
import { agentKeyOf, carveOrThrow, emitIssued, mintWrites } from './minting';
import { commitWithRetry, put } from './records';
import type { Runtime } from './runtime';

export type WaitForApprovalOptions = z.input<typeof waitForApprovalSchema>;
export type ListApprovalsOptions = z.input<typeof listApprovalsSchema>;

const idCursor = z.object({ after: z.string() });

/** Claims of one parent's children race its revoke and each other's budget carving: allow more rounds. */
const CLAIM_ATTEMPTS = 16;

/** What a requester asks a human for. */
export interface WantedToken {
  scope: Scope;
  tier: Exclude<Tier, 'standard'>;
  ttlSeconds: number;
  description: string | null;
  allowedIps: string[] | null;
  maxUses: number | null;
}

const emit = (rt: Runtime, event: VaultEvent) => emitEvent(rt.listeners, rt.logger, event);

/**
 * Open a request. `parent` is the requesting token (the minted token will be its child); the
 * request records the requester's lineage, whose members may never decide it.
 */
export async function openApprovalRequest(
  rt: Runtime,
  call: CallContext,
  wanted: WantedToken,
  parent: TokenRecord | null,
): Promise<ScopedToken> {
  const now = rt.clock.now();
  const approval: ApprovalRecord = {
    id: newId('apr'),
    tenant: call.tenant,
    requestedBy: call.actor,
    lineage: parent ? [...parent.lineage] : [],
    requesterDescription: call.actorDescription,
    request: {
      scope: wanted.scope.text,
      ttlSeconds: wanted.ttlSeconds,
      description: wanted.description,
      allowedIps: wanted.allowedIps,
      maxUses: wanted.maxUses,
      parentId: parent?.id ?? null,
    },
    tier: wanted.tier,
    status: 'pending',
    decisions: [],
    requiredApprovals: rt.config.requiredApprovals[wanted.tier],
    createdAt: now,
    expiresAt: now + rt.config.approvalTtlMs,
    decidedAt: null,
    claimedAt: null,
    tokenId: null,
  };
  await rt.storage.commit({
    writes: [put('approval', approval, 'absent')],
    events: [
      successEvent(rt, call, 'approval.request', null, null, {
        approvalId: approval.id,
        scope: approval.request.scope,
        tier: approval.tier,
      }),
    ],
  });
  emit(rt, {
    type: 'approval.requested',
    tenant: approval.tenant,
    approvalId: approval.id,
    requestedBy: approval.requestedBy,
    scope: approval.request.scope,
    tier: approval.tier,
    description: approval.request.description,
    requiredApprovals: approval.requiredApprovals,
    expiresAt: new Date(approval.expiresAt),
  });
  return pendingToken(approval);
}

/**
 * Expire a pending request past its deadline (maintenance): true if this call expired it, false
 * if it was decided or expired meanwhile.
 */
export async function expireApproval(rt: Runtime, stored: Stored<'approval'>, now: number): Promise<boolean> {
  const { tenant, id, requestedBy } = stored.record;
  const call: CallContext = {
    principal: { kind: 'app', name: 'maintenance', tenant },
    tenant,
    actor: 'app:maintenance',
    actorDescription: null,
    ip: null,
    userAgent: null,
  };
  const done = await commitWithRetry(async (attempt) => {
    const current = attempt === 0 ? stored : await readOne(rt, 'approval', tenant, id);
    const next = current ? expiredRecord(current.record, now) : null;
    if (!current || !next) return false;
    await rt.storage.commit({
      writes: [put('approval', next, current.rev)],
      events: [successEvent(rt, call, 'approval.expire', null, null, { approvalId: id })],
    });
    return true;
  });
  if (done) emit(rt, { type: 'approval.expired', tenant, approvalId: id, requestedBy });
  return done;
}

export function approvalOperations(rt: Runtime) {
  const findApproval = async (call: CallContext, id: string): Promise<ApprovalRecord> =>
    (await mustRead(rt, 'approval', call.tenant, String(id), 'Approval request')).record;

  function mayView(call: CallContext, record: ApprovalRecord): boolean {
    return (
      call.actor === record.requestedBy
      || hasRole(call.principal, 'approver')
      || hasRole(call.principal, 'admin')
    );
  }

  /**
   * Mint the approved token for its requester, in one commit with the approval (claimed once), the
   * parent (live, its budget carved) or the requesting key (live). Null if another look claimed it first.
   */
  async function claim(
    call: CallContext,
    first: ApprovalRecord,
  ): Promise<{ record: ApprovalRecord; token: ScopedToken } | null> {
    const { tenant, id, request } = first;
    const approvalKey = idKey('approval', tenant, id);
    // Immutable facts of the request decide what else the commit must hold steady.
    const parentKey = request.parentId === null ? null : idKey('token', tenant, request.parentId);
    const keyKey = parentKey ? null : agentKeyOf(tenant, first.requestedBy);
    const keys: RecordKey[] = [approvalKey];
    if (parentKey) keys.push(parentKey);
    if (keyKey) keys.push(keyKey);
    return commitWithRetry(async () => {
      const now = rt.clock.now();
      const [stored, other] = await rt.storage.getRecords(keys);
      if (!stored) throw new AgentVaultNotFoundError(`Approval request not found: '${id}'`);
      const approval = stored as Stored<'approval'>;
      const claimed = claimApproval(approval.record, call.actor, '', now);
      if ('refusal' in claimed) {
        if (claimed.refusal === 'already_claimed') return null;
        if (claimed.refusal === 'not_requester')
          throw new AgentVaultPermissionError('Only the requester can collect the token');
        throw new AgentVaultConflictError(`Approval request is ${claimed.status}`);
      }
      const parent = parentKey ? ((other ?? null) as Stored<'token'> | null) : null;
      const carved = parentKey
        ? carveOrThrow(parent, { maxUses: request.maxUses, expiresAt: now + request.ttlSeconds * 1000 }, now)
        : { maxUses: request.maxUses, expiresAt: now + request.ttlSeconds * 1000, parentNext: null };
      const minted = newToken(
        {
          scope: request.scope,
          approvedTier: approval.record.tier,
          description: request.description,
          allowedIps: request.allowedIps,
          maxUses: carved.maxUses,
          usesRemaining: carved.maxUses,
          createdAt: now,
          expiresAt: carved.expiresAt,
          issuedBy: approval.record.requestedBy,
          approvalRequestId: id,
        },
        tenant,
        parent?.record ?? null,
      );
      const next: ApprovalRecord = { ...claimed.next, tokenId: minted.record.id };
      const writes = [
        put('approval', next, approval.rev),
        ...mintWrites(
          minted.record,
          parent ? { stored: parent, next: carved.parentNext } : null,
          keyKey ? ((other ?? null) as Stored<'agent_key'> | null) : undefined,
        ),
      ];
      await rt.storage.commit({
        writes,
        events: [
          successEvent(rt, call, 'token.issue', null, null, {
            tokenId: minted.record.id,
            approvalId: id,
            scope: minted.record.scope,
            approvedTier: minted.record.approvedTier,
          }),
        ],
      });
      emitIssued(rt, minted.record);
      return { record: next, token: issuedToken(minted.record, minted.value) };
    }, CLAIM_ATTEMPTS);
  }

  /**
   * Look at a request. The requester's first look after approval mints the token and returns it
   * in `token` — once; approvers never see it.
   */
  async function getApproval(id: string, options?: CallOptions): Promise<Approval> {
    return operation(rt, { type: 'approval.read', path: null }, callSchema, options, async (call) => {
      let record = await findApproval(call, id);
      if (!mayView(call, record))
        throw new AgentVaultPermissionError('Only the requester and approvers may see this request');
      let token: ScopedToken | null = null;
      if (call.actor === record.requestedBy && record.status === 'approved' && record.claimedAt === null) {
        const claimed = await claim(call, record);
        if (claimed) ({ record, token } = claimed);
        else record = await findApproval(call, id);
      } else {
        await appendEvent(rt, successEvent(rt, call, 'approval.read', null, null, { approvalId: record.id }));
      }
      return approvalView(record, rt.clock.now(), token);
    });
  }

  /** Decide a request; the note is validated inside the audited operation, so bad input is audited too. */
  async function decide(
    id: string,
    decision: 'approve' | 'deny',
    readNote: () => string | null,
    options: CallOptions | undefined,
  ): Promise<Approval> {
    const type = decision === 'approve' ? 'approval.approve' : 'approval.deny';
    return operation(rt, { type, path: null }, callSchema, options, async (call) => {
      const note = readNote();
      requireRole(call, 'approver', 'decide approval requests');
      let now = rt.clock.now();
      const decided = await commitWithRetry(async () => {
        const stored = await mustRead(rt, 'approval', call.tenant, String(id), 'Approval request');
        now = rt.clock.now();
        const result = decideApproval(stored.record, { decision, by: call.actor, note, at: now }, now);
        if ('refusal' in result) {
          if (result.refusal === 'own_request')
            throw new AgentVaultPermissionError('Nobody in a request\'s chain (the requester, its parent tokens, the key that minted them) may decide it');
          if (result.refusal === 'already_decided')
            throw new AgentVaultConflictError(`${call.actor} has already decided this request`);
          throw new AgentVaultConflictError(`Approval request is already ${result.status}`);
        }
        await rt.storage.commit({
          writes: [put('approval', result.next, stored.rev)],
          events: [successEvent(rt, call, type, null, null, { approvalId: stored.record.id })],
        });
        return result.next;
      });
      emit(rt, {
        type: 'approval.decided',
        tenant: decided.tenant,
        approvalId: decided.id,
        requestedBy: decided.requestedBy,
        status: decided.status === 'approved' || decided.status === 'denied' ? decided.status : 'pending',
        decidedBy: call.actor,
        decision,
        note,
      });
      return approvalView(decided, now, null);
    });
  }

  async function approve(id: string, input: z.input<typeof approveSchema> = {}, options?: CallOptions): Promise<Approval> {
    return decide(id, 'approve', () => parseInput(approveSchema, input, 'approval').comment ?? null, options);
  }

  async function deny(id: string, input: z.input<typeof denySchema> = {}, options?: CallOptions): Promise<Approval> {
    return decide(id, 'deny', () => parseInput(denySchema, input, 'denial').reason ?? null, options);
  }

  async function listApprovals(options?: ListApprovalsOptions): Promise<Page<Approval>> {
    return operation(rt, { type: 'approval.list', path: null }, listApprovalsSchema, options, async (call, opts) => {
      if (!hasRole(call.principal, 'approver') && !hasRole(call.principal, 'admin')) {
        throw new AgentVaultPermissionError('Listing approval requests needs the approver or admin role');
      }
      const cursor = opts.cursor ? decodeCursor(opts.cursor, idCursor) : null;
      const now = rt.clock.now();
      // Expiry is read-time state, so `pending` and `expired` are filtered after the query.
      const storedStatus = opts.status === 'expired' ? undefined : opts.status;
      const records = await rt.storage.listRecords({
        kind: 'approval',
        tenant: call.tenant,
        afterId: cursor?.after ?? null,
        limit: opts.limit + 1,
        ...(storedStatus ? { where: { status: storedStatus } } : {}),
      });
      const scanned = records.slice(0, opts.limit).map((r) => r.record);
      const last = scanned.at(-1);
      const items = scanned.filter((r) => opts.status === undefined || effectiveStatus(r, now) === opts.status);
      await appendEvent(rt, successEvent(rt, call, 'approval.list', null, null, { count: items.length }));
      return {
        items: items.map((r) => approvalView(r, now, null)),
        nextCursor: records.length > opts.limit && last ? encodeCursor({ after: last.id }) : null,
      };
    });
  }

  /**
   * Wait until a request is decided and return the minted token (requester only). Polls storage,
   * so a decision made on another instance is seen; a decision on this instance wakes it at once.
   * Denied → AgentVaultPermissionError; expired → AgentVaultGoneError; timeout →
   * AgentVaultApprovalPendingError; abort → the signal's reason.
   */
  async function waitForApproval(id: string, options?: WaitForApprovalOptions): Promise<ScopedToken> {
    // A refusal (or timeout) appends one approval.read failure; a success is audited by getApproval.
    return operation(rt, { type: 'approval.read', path: null }, waitForApprovalSchema, options, async (call, opts) => {
      const { timeoutMs, pollIntervalMs, signal, ...callOptions } = opts;
      return awaitDecision(call, String(id), timeoutMs, pollIntervalMs, signal, callOptions);
    });
  }

  async function awaitDecision(
    call: CallContext,
    id: string,
    timeoutMs: number,
    pollIntervalMs: number,
    signal: AbortSignal | undefined,
    callOptions: CallOptions,
  ): Promise<ScopedToken> {
    const deadline = performance.now() + timeoutMs;
    let wake = new AbortController();
    const listener = (event: VaultEvent) => {
      if (event.type === 'approval.decided' && event.approvalId === id) wake.abort();
    };
    rt.listeners.add(listener);
    try {
      for (;;) {
        signal?.throwIfAborted();
        const record = await findApproval(call, id);
        if (record.requestedBy !== call.actor) throw new AgentVaultPermissionError('Only the requester can collect the token');
        const status = effectiveStatus(record, rt.clock.now());
        if (status === 'denied') throw new AgentVaultPermissionError(`Approval request ${id} was denied`);
        if (status === 'expired') throw new AgentVaultGoneError(`Approval request ${id} expired undecided`);
        if (status === 'approved') {
          // getApproval audits its own outcome, success or failure: do not audit its refusal twice.
          const approval = await getApproval(id, callOptions).catch((error: unknown) => {
            throw error instanceof Object ? alreadyAudited(error) : error;
          });
          if (approval.token) return approval.token;
          throw new AgentVaultConflictError(`The token of approval request ${id} was already collected`);
        }
        const left = deadline - performance.now();
        if (left <= 0) throw new AgentVaultApprovalPendingError(`Approval request ${id} is still pending`, id);
        const signals = signal ? [wake.signal, signal] : [wake.signal];
        await sleep(Math.min(pollIntervalMs, left), undefined, { signal: AbortSignal.any(signals) }).catch(() => undefined);
        if (wake.signal.aborted) wake = new AbortController();
      }
    } finally {
      rt.listeners.delete(listener);
    }
  }

  return { getApproval, listApprovals, approve, deny, waitForApproval };
}

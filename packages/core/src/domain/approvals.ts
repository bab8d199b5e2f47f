/**
 * Rules of approval requests, without I/O: who may decide (never the requester nor anyone in its
 * lineage), quorum, decide-once, claim-once, expiry. Each returns the next record to commit with
 * the rev it was read at, or a refusal; a lost commit re-reads and decides again.
 */
import type { ApprovalDecision, ApprovalRecord, ApprovalStatus } from '../contracts/records';

/** The status a reader sees: a pending request past its deadline is expired. */
export function effectiveStatus(record: ApprovalRecord, now: number): ApprovalStatus {
  return record.status === 'pending' && record.expiresAt <= now ? 'expired' : record.status;
}

/** No principal in a request's chain (the requester, its ancestors, the root's minter) may decide it. */
export function inChain(record: ApprovalRecord, actor: string): boolean {
  return actor === record.requestedBy || record.lineage.includes(actor);
}

export type DecideRefusal =
  | { refusal: 'own_request' }
  | { refusal: 'not_pending'; status: ApprovalStatus }
  | { refusal: 'already_decided' };

/** Add one decision: a deny settles it denied, the quorum's last distinct approval settles it approved. */
export function decideApproval(
  record: ApprovalRecord,
  decision: ApprovalDecision,
  now: number,
): { next: ApprovalRecord } | DecideRefusal {
  if (inChain(record, decision.by)) return { refusal: 'own_request' };
  const status = effectiveStatus(record, now);
  if (status !== 'pending') return { refusal: 'not_pending', status };
  if (record.decisions.some((d) => d.by === decision.by)) return { refusal: 'already_decided' };
  const decisions = [...record.decisions, decision];
  const approvals = new Set(decisions.filter((d) => d.decision === 'approve').map((d) => d.by)).size;
  const settled: ApprovalStatus =
    decision.decision === 'deny' ? 'denied' : approvals >= record.requiredApprovals ? 'approved' : 'pending';
  return {
    next: { ...record, decisions, status: settled, decidedAt: settled === 'pending' ? null : now },
  };
}

export type ClaimRefusal =
  | { refusal: 'not_requester' }
  | { refusal: 'not_approved'; status: ApprovalStatus }
  | { refusal: 'already_claimed' };

/** Mark an approved request claimed by its requester, minting `tokenId`; the token is handed out once. */
export function claimApproval(
  record: ApprovalRecord,
  claimer: string,
  tokenId: string,
  now: number,
): { next: ApprovalRecord } | ClaimRefusal {
  if (claimer !== record.requestedBy) return { refusal: 'not_requester' };
  const status = effectiveStatus(record, now);
  if (status !== 'approved') return { refusal: 'not_approved', status };
  if (record.claimedAt !== null) return { refusal: 'already_claimed' };
  return { next: { ...record, claimedAt: now, tokenId } };
}

/** Settle a pending request past its deadline as expired; null if it is not due (or no longer pending). */
export function expireApproval(record: ApprovalRecord, now: number): ApprovalRecord | null {
  if (record.status !== 'pending' || record.expiresAt > now) return null;
  return { ...record, status: 'expired' };
}

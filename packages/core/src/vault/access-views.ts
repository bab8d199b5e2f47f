/** What callers see of agent keys, scoped tokens and approval requests (never a stored hash). */
import type { AgentKeyRecord, ApprovalRecord, ApprovalStatus, Role, TokenRecord } from '../contracts/records';
import type { Tier } from '../domain/classification';
import { effectiveStatus } from '../domain/approvals';

export interface AgentKey {
  id: string;
  description: string | null;
  roles: Role[];
  createdAt: Date;
  createdBy: string;
  revokedAt: Date | null;
}

/** A new agent key: `value` is shown this once and never stored. */
export interface CreatedAgentKey extends AgentKey {
  value: string;
}

/** The seed's ScopedToken, plus the token id and the tier it was approved for. */
export interface ScopedToken {
  /** `tok_…`; null while approval is pending. */
  id: string | null;
  /** `ast_tok_…`, handed out exactly once; null while pending and in every later view. */
  value: string | null;
  scope: string;
  ttlSeconds: number;
  expiresAt: Date | null;
  description: string | null;
  allowedIps: string[] | null;
  maxUses: number | null;
  usesRemaining: number | null;
  approvalStatus: 'approved' | 'pending' | 'denied' | 'expired';
  approvalRequestId: string | null;
  /** The highest tier the token may touch; null while pending. */
  approvedTier: Tier | null;
}

export interface TokenInfo {
  id: string;
  scope: string;
  approvedTier: Tier;
  description: string | null;
  allowedIps: string[] | null;
  maxUses: number | null;
  usesRemaining: number | null;
  createdAt: Date;
  expiresAt: Date;
  issuedBy: string;
  parentId: string | null;
  approvalRequestId: string | null;
  revokedAt: Date | null;
}

export interface Approval {
  id: string;
  status: ApprovalStatus;
  requestedBy: string;
  requesterDescription: string | null;
  scope: string;
  tier: Tier;
  ttlSeconds: number;
  description: string | null;
  allowedIps: string[] | null;
  maxUses: number | null;
  requiredApprovals: number;
  decisions: Array<{ decision: 'approve' | 'deny'; by: string; note: string | null; at: Date }>;
  createdAt: Date;
  expiresAt: Date;
  decidedAt: Date | null;
  claimedAt: Date | null;
  tokenId: string | null;
  /** The minted token, present only in the requester's first look after approval. */
  token: ScopedToken | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

export function keyView(record: AgentKeyRecord): AgentKey {
  return {
    id: record.id,
    description: record.description,
    roles: [...record.roles],
    createdAt: new Date(record.createdAt),
    createdBy: record.createdBy,
    revokedAt: date(record.revokedAt),
  };
}

export function tokenInfo(record: TokenRecord): TokenInfo {
  return {
    id: record.id,
    scope: record.scope,
    approvedTier: record.approvedTier,
    description: record.description,
    allowedIps: record.allowedIps,
    maxUses: record.maxUses,
    usesRemaining: record.usesRemaining,
    createdAt: new Date(record.createdAt),
    expiresAt: new Date(record.expiresAt),
    issuedBy: record.issuedBy,
    parentId: record.parentId,
    approvalRequestId: record.approvalRequestId,
    revokedAt: date(record.revokedAt),
  };
}

export function issuedToken(record: TokenRecord, value: string): ScopedToken {
  return {
    id: record.id,
    value,
    scope: record.scope,
    ttlSeconds: Math.round((record.expiresAt - record.createdAt) / 1000),
    expiresAt: new Date(record.expiresAt),
    description: record.description,
    allowedIps: record.allowedIps,
    maxUses: record.maxUses,
    usesRemaining: record.usesRemaining,
    approvalStatus: 'approved',
    approvalRequestId: record.approvalRequestId,
    approvedTier: record.approvedTier,
  };
}

export function pendingToken(record: ApprovalRecord): ScopedToken {
  const { request } = record;
  return {
    id: null,
    value: null,
    scope: request.scope,
    ttlSeconds: request.ttlSeconds,
    expiresAt: null,
    description: request.description,
    allowedIps: request.allowedIps,
    maxUses: request.maxUses,
    usesRemaining: request.maxUses,
    approvalStatus: 'pending',
    approvalRequestId: record.id,
    approvedTier: null,
  };
}

export function approvalView(record: ApprovalRecord, now: number, token: ScopedToken | null): Approval {
  return {
    id: record.id,
    status: effectiveStatus(record, now),
    requestedBy: record.requestedBy,
    requesterDescription: record.requesterDescription,
    scope: record.request.scope,
    tier: record.tier,
    ttlSeconds: record.request.ttlSeconds,
    description: record.request.description,
    allowedIps: record.request.allowedIps,
    maxUses: record.request.maxUses,
    requiredApprovals: record.requiredApprovals,
    decisions: record.decisions.map((d) => ({ decision: d.decision, by: d.by, note: d.note, at: new Date(d.at) })),
    createdAt: new Date(record.createdAt),
    expiresAt: new Date(record.expiresAt),
    decidedAt: date(record.decidedAt),
    claimedAt: date(record.claimedAt),
    tokenId: record.tokenId,
    token,
  };
}

import { describe, expect, it } from 'vitest';
import type { ApprovalRecord, TokenRecord } from '../src/contracts/records';
import { claimApproval, decideApproval, effectiveStatus, expireApproval } from '../src/domain/approvals';
import { carveChild, lineageUnder, spendUse, tokenUseOutcome } from '../src/domain/tokens';

const token = (over: Partial<TokenRecord> = {}): TokenRecord => ({
  id: 'tok_p',
  tenant: 't',
  hash: 'h',
  scope: 'secrets:read:*',
  approvedTier: 'standard',
  description: null,
  allowedIps: null,
  maxUses: 10,
  usesRemaining: 10,
  createdAt: 0,
  expiresAt: 1000,
  issuedBy: 'key:k',
  parentId: null,
  lineage: ['key:k'],
  rootId: 'tok_p',
  approvalRequestId: null,
  revokedAt: null,
  ...over,
});

const approval = (over: Partial<ApprovalRecord> = {}): ApprovalRecord => ({
  id: 'apr_1',
  tenant: 't',
  requestedBy: 'token:tok_c',
  lineage: ['token:tok_p', 'key:k'],
  requesterDescription: null,
  request: { scope: 's', ttlSeconds: 60, description: null, allowedIps: null, maxUses: 2, parentId: 'tok_c' },
  tier: 'critical',
  status: 'pending',
  decisions: [],
  requiredApprovals: 1,
  createdAt: 0,
  expiresAt: 500,
  decidedAt: null,
  claimedAt: null,
  tokenId: null,
  ...over,
});

describe('token rules', () => {
  it('orders refusals revoked > expired > exhausted; an unknown token reads as revoked', () => {
    expect(tokenUseOutcome(null, 0)).toBe('token_revoked');
    expect(tokenUseOutcome(token({ revokedAt: 1, expiresAt: 0, usesRemaining: 0 }), 5)).toBe('token_revoked');
    expect(tokenUseOutcome(token({ expiresAt: 5, usesRemaining: 0 }), 5)).toBe('token_expired');
    expect(tokenUseOutcome(token({ usesRemaining: 0 }), 5)).toBe('token_exhausted');
    expect(tokenUseOutcome(token({ maxUses: null, usesRemaining: null }), 5)).toBe('ok');
  });

  it('spends one use of a limited token and writes nothing for an unlimited one', () => {
    expect(spendUse(token({ usesRemaining: 3 }), 0)).toMatchObject({ outcome: 'ok', next: { usesRemaining: 2 } });
    expect(spendUse(token({ maxUses: null, usesRemaining: null }), 0)).toEqual({ outcome: 'ok', next: null });
    expect(spendUse(token({ usesRemaining: 0 }), 0)).toEqual({ outcome: 'token_exhausted' });
  });

  it('carves a child out of a limited parent, never more than it has left, never outliving it', () => {
    const parent = token({ usesRemaining: 4 });
    expect(carveChild(parent, { maxUses: 3, expiresAt: 5000 }, 0)).toMatchObject({
      maxUses: 3,
      expiresAt: 1000,
      parentNext: { usesRemaining: 1 },
    });
    expect(carveChild(parent, { maxUses: 4, expiresAt: 10 }, 0)).toMatchObject({
      expiresAt: 10,
      parentNext: { usesRemaining: 0 },
    });
    expect(carveChild(parent, { maxUses: 5, expiresAt: 10 }, 0)).toEqual({ refusal: 'budget_exceeded', left: 4 });
    expect(carveChild(parent, { maxUses: null, expiresAt: 10 }, 0)).toEqual({ refusal: 'budget_required', left: 4 });
    expect(carveChild(token({ usesRemaining: 0 }), { maxUses: 1, expiresAt: 10 }, 0)).toEqual({ refusal: 'token_exhausted' });
    expect(carveChild(token({ revokedAt: 1 }), { maxUses: 1, expiresAt: 10 }, 0)).toEqual({ refusal: 'token_revoked' });
    expect(carveChild(token({ maxUses: null, usesRemaining: null }), { maxUses: null, expiresAt: 10 }, 0)).toEqual({
      maxUses: null,
      expiresAt: 10,
      parentNext: null,
    });
  });

  it('records lineage nearest first, ending with the root\'s minter', () => {
    expect(lineageUnder(null, 'key:k')).toEqual(['key:k']);
    expect(lineageUnder(token({ id: 'tok_c', lineage: ['token:tok_p', 'key:k'] }), 'token:tok_c')).toEqual([
      'token:tok_c',
      'token:tok_p',
      'key:k',
    ]);
  });
});

describe('approval rules', () => {
  const decision = (by: string, d: 'approve' | 'deny' = 'approve') => ({ decision: d, by, note: null, at: 1 });

  it('refuses the requester and everyone in its lineage', () => {
    for (const by of ['token:tok_c', 'token:tok_p', 'key:k'])
      expect(decideApproval(approval(), decision(by), 1)).toEqual({ refusal: 'own_request' });
    expect(decideApproval(approval(), decision('user:alice'), 1)).toMatchObject({ next: { status: 'approved', decidedAt: 1 } });
  });

  it('counts a quorum of distinct approvers; a deny settles it; a decision is final', () => {
    const two = approval({ requiredApprovals: 2 });
    const first = decideApproval(two, decision('user:a'), 1);
    if (!('next' in first)) throw new Error('refused');
    expect(first.next.status).toBe('pending');
    expect(decideApproval(first.next, decision('user:a'), 1)).toEqual({ refusal: 'already_decided' });
    const second = decideApproval(first.next, decision('user:b'), 1);
    expect(second).toMatchObject({ next: { status: 'approved' } });
    if (!('next' in second)) throw new Error('refused');
    expect(decideApproval(second.next, decision('user:c', 'deny'), 1)).toEqual({ refusal: 'not_pending', status: 'approved' });
    expect(decideApproval(two, decision('user:a', 'deny'), 1)).toMatchObject({ next: { status: 'denied' } });
  });

  it('expires a pending request at its deadline, for deciders and readers alike', () => {
    expect(effectiveStatus(approval(), 500)).toBe('expired');
    expect(decideApproval(approval(), decision('user:a'), 500)).toEqual({ refusal: 'not_pending', status: 'expired' });
    expect(expireApproval(approval(), 499)).toBeNull();
    expect(expireApproval(approval(), 500)).toMatchObject({ status: 'expired' });
    expect(expireApproval(approval({ status: 'approved' }), 900)).toBeNull();
  });

  it('hands an approved request to its requester once', () => {
    const approved = approval({ status: 'approved' });
    expect(claimApproval(approved, 'user:x', 'tok_n', 1)).toEqual({ refusal: 'not_requester' });
    expect(claimApproval(approval(), 'token:tok_c', 'tok_n', 1)).toEqual({ refusal: 'not_approved', status: 'pending' });
    expect(claimApproval(approved, 'token:tok_c', 'tok_n', 1)).toMatchObject({ next: { claimedAt: 1, tokenId: 'tok_n' } });
    expect(claimApproval(approval({ status: 'approved', claimedAt: 1 }), 'token:tok_c', 'tok_n', 2)).toEqual({
      refusal: 'already_claimed',
    });
  });
});

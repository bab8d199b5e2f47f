/**
 * Events a host can subscribe to (`onEvent` or `vault.on`) to notify people — a Slack message when
 * approval is requested, an email when it is decided. Listeners run after the change is stored;
 * a listener that throws or rejects is logged and never fails the operation. Events carry ids,
 * never a value or a credential.
 */
import type { Tier } from '../domain/classification';

export type VaultEvent =
  | {
    type: 'approval.requested';
    tenant: string;
    approvalId: string;
    requestedBy: string;
    scope: string;
    tier: Tier;
    description: string | null;
    requiredApprovals: number;
    expiresAt: Date;
  }
  | {
    type: 'approval.decided';
    tenant: string;
    approvalId: string;
    requestedBy: string;
    status: 'approved' | 'denied' | 'pending';
    decidedBy: string;
    decision: 'approve' | 'deny';
    note: string | null;
  }
  | {
    type: 'token.issued';
    tenant: string;
    tokenId: string;
    issuedBy: string;
    scope: string;
    approvedTier: Tier;
    expiresAt: Date;
    approvalRequestId: string | null;
  }
  | { type: 'token.revoked'; tenant: string; tokenId: string; revokedBy: string }
  | { type: 'agent_key.created'; tenant: string; keyId: string; createdBy: string; roles: string[] }
  | { type: 'agent_key.revoked'; tenant: string; keyId: string; revokedBy: string };

export type VaultEventType = VaultEvent['type'];
export type VaultEventListener = (event: VaultEvent) => void | Promise<void>;

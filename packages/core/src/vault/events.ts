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
  | { type: 'agent_key.revoked'; tenant: string; keyId: string; revokedBy: string }
  | { type: 'approval.expired'; tenant: string; approvalId: string; requestedBy: string }
  | { type: 'secret.expiring'; tenant: string; path: string; expiresAt: Date; warning: '7d' | '1d' }
  | { type: 'secret.purged'; tenant: string; path: string }
  | { type: 'rotation.completed'; tenant: string; path: string; newVersion: number; oldVersion: number; oldExpiresAt: Date }
  | {
    type: 'rotation.failed';
    tenant: string;
    path: string;
    /** Where it failed: making the value, testing it, or revoking the old one after promotion. */
    stage: 'create' | 'test' | 'revoke_old' | 'no_handler';
    /** The error's class name only: a handler's message might hold a value. */
    error: string;
    /** Consecutive failures so far. */
    attempt: number;
    /** When automatic rotation tries again; null when nothing is scheduled. */
    nextAttemptAt: Date | null;
  };

export type VaultEventType = VaultEvent['type'];
export type VaultEventListener = (event: VaultEvent) => void | Promise<void>;

/** Deliver an event to every listener; a failing listener is logged and never fails the caller. */
export function emitEvent(
  listeners: Iterable<VaultEventListener>,
  logger: { error(message: string, fields?: Record<string, unknown>): void },
  event: VaultEvent,
): void {
  const report = (error: unknown) =>
    logger.error('event listener failed', { event: event.type, error: error instanceof Error ? error.name : String(error) });
  for (const listener of listeners) {
    try {
      const result = listener(event);
      if (result instanceof Promise) result.catch(report);
    } catch (error) {
      report(error);
    }
  }
}

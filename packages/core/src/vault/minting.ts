/**
 * What every token mint shares — a root minted by an agent key, a child carved out of its parent,
 * an approved request claimed: the conditions that make the mint atomic with its parent's budget
 * and liveness (and the minting key's), so a mint racing a revoke ends refused or revoked, never live.
 */
import type { RecordKey, TokenRecord } from '../contracts/records';
import type { RecordWrite, Stored } from '../contracts/storage';
import { type Carved, carveChild, isCarveRefusal } from '../domain/tokens';
import { AgentVaultAuthError, AgentVaultValidationError } from '../errors';
import { check, idKey, parentWrite } from './access-records';
import { tokenRefusal } from './authorization';
import { emitEvent } from './events';
import { put } from './records';
import type { Runtime } from './runtime';

/** Carve a child out of the stored parent, or throw the refusal (401 for a dead parent, 422 for the budget). */
export function carveOrThrow(
  parent: Stored<'token'> | null,
  wanted: { maxUses: number | null; expiresAt: number },
  now: number,
): Carved {
  const carved = carveChild(parent?.record ?? null, wanted, now);
  if (!isCarveRefusal(carved)) return carved;
  if (carved.refusal === 'budget_required' || carved.refusal === 'budget_exceeded') {
    const message =
      carved.refusal === 'budget_required'
        ? `the parent token is limited: state maxUses, at most the ${carved.left} uses it has left`
        : `at most ${carved.left}: the uses the parent token has left`;
    throw new AgentVaultValidationError(`A child token's uses come out of its parent's ${carved.left} remaining uses`, [
      { path: ['maxUses'], message },
    ]);
  }
  throw tokenRefusal(carved.refusal);
}

/** The key (`key:<id>`) an actor names, if it is one. */
export function agentKeyOf(tenant: string, actor: string): (RecordKey & { kind: 'agent_key' }) | null {
  return actor.startsWith('key:') ? idKey('agent_key', tenant, actor.slice(4)) : null;
}

/** The minting key must still be live; the commit checks it did not change since (a revoke bumps its rev). */
export function liveKeyCondition(stored: Stored<'agent_key'> | null): RecordWrite {
  if (!stored || stored.record.revokedAt !== null) throw new AgentVaultAuthError('Agent key has been revoked');
  return check('agent_key', stored.record, stored.rev);
}

/** The writes of a mint: the new token, and the conditions on (or the carved budget of) its parent or key. */
export function mintWrites(
  token: TokenRecord,
  parent: { stored: Stored<'token'>; next: TokenRecord | null } | null,
  key: Stored<'agent_key'> | null | undefined,
): RecordWrite[] {
  const writes: RecordWrite[] = [put('token', token, 'absent')];
  if (parent) writes.push(parentWrite(parent.stored, parent.next));
  if (key !== undefined) writes.push(liveKeyCondition(key));
  return writes;
}

export function emitIssued(rt: Runtime, token: TokenRecord): void {
  emitEvent(rt.listeners, rt.logger, {
    type: 'token.issued',
    tenant: token.tenant,
    tokenId: token.id,
    issuedBy: token.issuedBy,
    scope: token.scope,
    approvedTier: token.approvedTier,
    expiresAt: new Date(token.expiresAt),
    approvalRequestId: token.approvalRequestId,
  });
}

import { describe, expect, it } from 'vitest';
import type { SecretRecord, TokenRecord, VersionRecord } from '../src/contracts/records';
import { leaseAvailable } from '../src/domain/leases';
import { consumesUse, readOutcome } from '../src/domain/read-outcome';
import {
  applySecretPatch,
  checkDestroyable,
  discard,
  promote,
  restore,
  rollback,
  trash,
  updateMetadata,
} from '../src/domain/secret-rules';
import { AgentVaultConflictError, AgentVaultGoneError, AgentVaultNotFoundError } from '../src/errors';

const secret: SecretRecord = {
  tenant: 't', path: 'a/b', type: 'custom', tier: 'sensitive', description: null, tags: { env: 'prod' },
  currentVersion: 2, latestVersion: 3, createdAt: 1, createdBy: 'app:a', updatedAt: 1, updatedBy: 'app:a',
  accessedAt: null, expiresAt: 1_000, trashedAt: null, purgeAt: null, rotation: null, pendingVersion: 3,
};
const version = (n: number, retiresAt: number | null = null): VersionRecord => ({
  tenant: 't', path: 'a/b', version: n, ciphertext: new Uint8Array([1]), wrappedKey: { keyId: 'k', ciphertext: new Uint8Array([2]) },
  createdAt: 1, createdBy: 'app:a', retiresAt,
});
const token = (fields: Partial<TokenRecord> = {}): TokenRecord => ({
  id: 'tok', tenant: 't', hash: 'h', scope: 'secrets:read:*', approvedTier: 'critical', description: null, allowedIps: null,
  maxUses: 2, usesRemaining: 2, createdAt: 1, expiresAt: 500, issuedBy: 'key:k', parentId: null, lineage: ['key:k'],
  rootId: 'tok', approvalRequestId: null, revokedAt: null, ...fields,
});

describe('read outcome precedence', () => {
  const facts = { now: 100, maxTier: null, token: undefined, secret, version: version(2) };
  it('orders token refusals, not_found, tier_exceeded, expired, retired, ok', () => {
    expect(readOutcome(facts)).toBe('ok');
    expect(readOutcome({ ...facts, token: null, secret: null })).toBe('token_revoked');
    expect(readOutcome({ ...facts, token: token({ revokedAt: 1, expiresAt: 1, usesRemaining: 0 }) })).toBe('token_revoked');
    expect(readOutcome({ ...facts, token: token({ expiresAt: 100, usesRemaining: 0 }), secret: null })).toBe('token_expired');
    expect(readOutcome({ ...facts, token: token({ usesRemaining: 0 }), secret: null })).toBe('token_exhausted');
    expect(readOutcome({ ...facts, token: token(), secret: { ...secret, trashedAt: 5 } })).toBe('not_found');
    expect(readOutcome({ ...facts, version: null, maxTier: 'standard' })).toBe('not_found');
    expect(readOutcome({ ...facts, maxTier: 'standard', now: 2_000 })).toBe('tier_exceeded');
    expect(readOutcome({ ...facts, maxTier: 'sensitive', now: 1_000, version: version(2, 10) })).toBe('expired');
    expect(readOutcome({ ...facts, version: version(2, 100) })).toBe('retired');
    expect(readOutcome({ ...facts, version: version(2, 101) })).toBe('ok');
  });

  it('spends a use on every outcome past the token step', () => {
    expect(['ok', 'not_found', 'tier_exceeded', 'expired', 'retired'].every((o) => consumesUse(o as never))).toBe(true);
    expect(['token_revoked', 'token_expired', 'token_exhausted'].some((o) => consumesUse(o as never))).toBe(false);
  });
});

describe('secret rules', () => {
  it('patches metadata without touching what the patch leaves out, and never aliases the input', () => {
    const next = applySecretPatch(secret, { tags: { team: 'a' }, expiresAt: null });
    expect(next).toMatchObject({ tags: { team: 'a' }, expiresAt: null, tier: 'sensitive', description: null });
    next.tags['x'] = 'y';
    expect(secret.tags).toEqual({ env: 'prod' });
    expect(updateMetadata(secret, 'a/b', { expectedCurrentVersion: 2, patch: { tier: 'critical' }, now: 9, by: 'app:b' }))
      .toMatchObject({ tier: 'critical', updatedAt: 9, updatedBy: 'app:b', currentVersion: 2 });
    expect(() => updateMetadata(secret, 'a/b', { expectedCurrentVersion: 1, patch: {}, now: 9, by: 'x' })).toThrow(AgentVaultConflictError);
    expect(() => updateMetadata(null, 'a/b', { expectedCurrentVersion: null, patch: {}, now: 9, by: 'x' })).toThrow(AgentVaultNotFoundError);
  });

  it('rolls back to a live, unretired, non-pending version only', () => {
    const input = { toVersion: 1, expectedCurrentVersion: null, now: 50, by: 'app:b' };
    expect(rollback(secret, version(1), 'a/b', input)).toMatchObject({ currentVersion: 1, latestVersion: 3, updatedAt: 50 });
    expect(() => rollback(secret, null, 'a/b', input)).toThrow(AgentVaultNotFoundError);
    expect(() => rollback({ ...secret, trashedAt: 1 }, version(1), 'a/b', input)).toThrow(AgentVaultNotFoundError);
    expect(() => rollback(secret, version(1, 50), 'a/b', input)).toThrow(AgentVaultGoneError);
    expect(() => rollback(secret, version(3), 'a/b', { ...input, toVersion: 3 })).toThrow(AgentVaultConflictError);
    expect(() => rollback(secret, version(1), 'a/b', { ...input, expectedCurrentVersion: 3 })).toThrow(AgentVaultConflictError);
  });

  it('trashes live secrets, restores trashed ones, and destroys for maintenance only when due', () => {
    const trashed = trash(secret, 'a/b', { now: 10, purgeAt: 20 });
    expect(trashed).toMatchObject({ trashedAt: 10, purgeAt: 20, updatedAt: 1 });
    expect(() => trash(trashed, 'a/b', { now: 11, purgeAt: 21 })).toThrow(AgentVaultNotFoundError);
    expect(restore(trashed, 'a/b', { now: 12, by: 'app:b' })).toMatchObject({ trashedAt: null, purgeAt: null, updatedAt: 12 });
    expect(() => restore(secret, 'a/b', { now: 12, by: 'app:b' })).toThrow(AgentVaultNotFoundError);
    expect(checkDestroyable(secret, 'a/b', null)).toBe(secret);
    expect(checkDestroyable(trashed, 'a/b', 20)).toBe(trashed);
    expect(() => checkDestroyable(trashed, 'a/b', 19)).toThrow(AgentVaultNotFoundError);
    expect(() => checkDestroyable(secret, 'a/b', 99)).toThrow(AgentVaultNotFoundError);
    expect(() => checkDestroyable(null, 'a/b', null)).toThrow(AgentVaultNotFoundError);
  });

  it('promotes only the pending version that is still the latest, and discards a pending one', () => {
    const input = { version: 3, retirePreviousAt: 70, rotation: null, now: 60, by: 'app:r' };
    const promoted = promote(secret, version(2), 'a/b', input);
    expect(promoted.secret).toMatchObject({ currentVersion: 3, pendingVersion: null, updatedAt: 60 });
    expect(promoted.replaced?.retiresAt).toBe(70);
    expect(() => promote({ ...secret, latestVersion: 4 }, version(2), 'a/b', input)).toThrow(AgentVaultConflictError);
    expect(() => promote({ ...secret, pendingVersion: null }, version(2), 'a/b', input)).toThrow(AgentVaultConflictError);
    const discarded = discard({ ...secret, latestVersion: 4 }, version(3), 'a/b', { version: 3, rotation: null, now: 80 });
    expect(discarded.secret.pendingVersion).toBeNull();
    expect(discarded.pending?.retiresAt).toBe(80);
    expect(() => discard(secret, version(3), 'a/b', { version: 2, rotation: null, now: 80 })).toThrow(AgentVaultConflictError);
  });
});

describe('leases', () => {
  it('are free, expired, or already the owner\'s', () => {
    expect(leaseAvailable(null, 'i-1', 5)).toBe(true);
    expect(leaseAvailable({ tenant: 't', id: 'l', owner: 'i-2', expiresAt: 6 }, 'i-1', 5)).toBe(false);
    expect(leaseAvailable({ tenant: 't', id: 'l', owner: 'i-2', expiresAt: 5 }, 'i-1', 5)).toBe(true);
    expect(leaseAvailable({ tenant: 't', id: 'l', owner: 'i-1', expiresAt: 6 }, 'i-1', 5)).toBe(true);
  });
});

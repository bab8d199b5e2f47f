/** Records and events for the adapter's own tests, built directly (no vault). */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AuditEventInput, SecretRecord, StorageAdapter, TokenRecord, VersionRecord } from '@agentvault/core';

export function uniqueTenant(): string {
  return `t_${randomUUID().slice(0, 8)}`;
}

export function event(tenant: string, path: string | null, timestamp = 1_000): AuditEventInput {
  return {
    id: `evt_${randomUUID()}`,
    tenant,
    type: 'secret.read',
    path,
    actor: 'app:adapter-test',
    actorDescription: null,
    ip: null,
    userAgent: null,
    timestamp,
    details: { note: 'test' },
    success: true,
    error: null,
    version: null,
  };
}

export function secret(tenant: string, path: string, overrides: Partial<SecretRecord> = {}): SecretRecord {
  return {
    tenant,
    path,
    type: 'api_key',
    tier: 'standard',
    description: null,
    tags: {},
    currentVersion: 1,
    latestVersion: 1,
    createdAt: 1_000,
    createdBy: 'app:test',
    updatedAt: 1_000,
    updatedBy: 'app:test',
    accessedAt: null,
    expiresAt: null,
    trashedAt: null,
    purgeAt: null,
    rotation: null,
    pendingVersion: null,
    ...overrides,
  };
}

export function version(tenant: string, path: string, n: number, overrides: Partial<VersionRecord> = {}): VersionRecord {
  return {
    tenant,
    path,
    version: n,
    ciphertext: new Uint8Array(randomBytes(40)),
    wrappedKey: { keyId: 'k1', ciphertext: new Uint8Array(randomBytes(32)) },
    createdAt: 1_000 + n,
    createdBy: 'app:test',
    retiresAt: null,
    ...overrides,
  };
}

export function token(tenant: string, id: string, overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    id,
    tenant,
    hash: randomBytes(32).toString('hex'),
    scope: 'secrets:read:*',
    approvedTier: 'critical',
    description: null,
    allowedIps: null,
    maxUses: null,
    usesRemaining: null,
    createdAt: 1_000,
    expiresAt: 1_000_000,
    issuedBy: 'key:k1',
    parentId: null,
    lineage: ['key:k1'],
    rootId: id,
    approvalRequestId: null,
    revokedAt: null,
    ...overrides,
  };
}

/** A secret at version 1, written through the adapter's own version write. */
export async function createSecret(storage: StorageAdapter, tenant: string, path: string, overrides: Partial<SecretRecord> = {}) {
  return storage.writeVersion({
    mode: 'create', secret: secret(tenant, path, overrides), version: version(tenant, path, 1), expectedCurrentVersion: 0,
    patch: {}, retirePreviousAt: null, event: { ...event(tenant, path), type: 'secret.create' },
  });
}

export async function mintToken(storage: StorageAdapter, tenant: string, id: string, overrides: Partial<TokenRecord> = {}) {
  const record = token(tenant, id, overrides);
  await storage.commit({ writes: [{ op: 'put', kind: 'token', record, expect: 'absent' }], events: [] });
  return record;
}

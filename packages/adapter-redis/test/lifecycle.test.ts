/**
 * What the conformance suite leaves to each backend: leases decided on the caller's clock with no
 * server-side expiry, exactly one winner among concurrent acquirers and claimers on separate
 * connections, a declined claim that leaves link prediction intact, and stores written before the
 * lifecycle fields and indexes existed.
 */
import {
  type ApprovalRecord,
  type AuditEventInput,
  type AuditEventType,
  auditDigest,
  createVault,
  type SecretRecord,
} from '@agentvault/core';
import { describeRequiring, manualClock, testKeyWrapper } from '@agentvault/core/testing';
import { afterAll, expect, it } from 'vitest';
import { deleteKeysUnder, redisAdapter } from '../src/index';
import { newClient, redisAvailable, redisProblem, uniquePrefix } from './redis-env';

let n = 0;
function event(tenant: string, path: string | null, type: AuditEventType = 'secret.update', chain = 0): AuditEventInput {
  const base = {
    id: `evt_lt${n++}_${Math.random().toString(36).slice(2, 8)}`,
    tenant,
    chain,
    type,
    path,
    actor: 'app:t',
    actorDescription: null,
    ip: null,
    userAgent: null,
    timestamp: 1,
    details: {},
  };
  return { ...base, digest: auditDigest(base), success: true, error: null, version: null };
}

function secret(tenant: string, path: string, more: Partial<SecretRecord> = {}): SecretRecord {
  return {
    tenant,
    path,
    type: 'custom',
    tier: 'standard',
    description: null,
    tags: {},
    currentVersion: 1,
    latestVersion: 1,
    createdAt: 1,
    createdBy: 'app:t',
    updatedAt: 1,
    updatedBy: 'app:t',
    accessedAt: null,
    expiresAt: null,
    trashedAt: null,
    purgeAt: null,
    rotation: null,
    pendingVersion: null,
    ...more,
  };
}

const version = (tenant: string, path: string) => ({
  tenant,
  path,
  version: 1,
  ciphertext: new Uint8Array([1, 2, 3]),
  wrappedKey: { keyId: 'k', ciphertext: new Uint8Array([4, 5]) },
  createdAt: 1,
  createdBy: 'app:t',
  retiresAt: null,
});

function approval(tenant: string, id: string, expiresAt: number): ApprovalRecord {
  return {
    id,
    tenant,
    requestedBy: 'app:req',
    requesterDescription: null,
    request: { scope: 'secrets:read:a/*', ttlSeconds: 60, description: null, allowedIps: null, maxUses: null, parentId: null },
    tier: 'critical',
    status: 'pending',
    decisions: [],
    requiredApprovals: 1,
    createdAt: 1,
    expiresAt,
    decidedAt: null,
    claimedAt: null,
    tokenId: null,
  };
}

describeRequiring(redisProblem, 'redis lifecycle', () => {
  const prefix = uniquePrefix();
  const clients = redisAvailable ? [newClient(), newClient()] : [];
  afterAll(async () => {
    if (clients[0]) await deleteKeysUnder(clients[0], prefix);
    await Promise.all(clients.map((c) => c.quit()));
  });

  it('decides leases on the caller\'s clock and sets no server-side expiry', async () => {
    const [a, b] = clients.map((client) => redisAdapter({ client }, { prefix }));
    const name = 'rotation/t1/db/main';
    expect(await a!.acquireLease({ name, owner: 'A', now: 1_000, ttlMs: 500 })).toBe(true);
    expect(await b!.acquireLease({ name, owner: 'B', now: 1_499, ttlMs: 500 })).toBe(false);
    // The holder renews; the lease now runs to 1_900.
    expect(await a!.acquireLease({ name, owner: 'A', now: 1_400, ttlMs: 500 })).toBe(true);
    expect(await b!.acquireLease({ name, owner: 'B', now: 1_899, ttlMs: 500 })).toBe(false);
    expect(await clients[0]!.pttl(`${prefix}lease:${name}`)).toBe(-1);
    // Releasing someone else's lease does nothing.
    await b!.releaseLease({ name, owner: 'B' });
    expect(await b!.acquireLease({ name, owner: 'B', now: 1_899, ttlMs: 500 })).toBe(false);
    // Expired at exactly its expiry time.
    expect(await b!.acquireLease({ name, owner: 'B', now: 1_900, ttlMs: 500 })).toBe(true);
    expect(await a!.acquireLease({ name, owner: 'A', now: 1_900, ttlMs: 500 })).toBe(false);
    await b!.releaseLease({ name, owner: 'B' });
    expect(await clients[0]!.exists(`${prefix}lease:${name}`)).toBe(0);
  });

  it('gives a free lease to exactly one of many concurrent acquirers on two connections', async () => {
    const [a, b] = clients.map((client) => redisAdapter({ client }, { prefix }));
    for (let round = 0; round < 5; round++) {
      const name = `race/${round}`;
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? a! : b!).acquireLease({ name, owner: `o${i}`, now: 10, ttlMs: 1_000 })),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    }
  });

  it('grants one expiry-warning claim of many concurrent ones, and a declined claim keeps link prediction', async () => {
    const [a, b] = clients.map((client) => redisAdapter({ client }, { prefix }));
    const tenant = 'warn-race';
    const claim = (storage: typeof a, kind: '7d' | '1d' = '7d', expiresAt = 5_000) =>
      storage!.claimExpiryWarning({ tenant, path: 'x/y', expiresAt, kind, event: event(tenant, 'x/y', 'secret.expiring') });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => claim(i % 2 ? a : b)));
    expect(results.filter(Boolean)).toHaveLength(1);
    // Another kind and another expiry date are other warnings.
    expect(await claim(a, '1d')).toBe(true);
    expect(await claim(a, '7d', 6_000)).toBe(true);
    expect(await claim(b, '7d', 6_000)).toBe(false);
    const events = await a!.queryAudit({ tenant, types: ['secret.expiring'], after: null, order: 'asc', limit: 100 });
    expect(events).toHaveLength(3);

    // A lone writer on a fresh chain: the first link is the server's, every later one predicted,
    // the declined claims in between included.
    const lone = redisAdapter({ client: clients[0]! }, { prefix });
    const tenant2 = 'warn-predict';
    await lone.appendAudit(event(tenant2, null, 'secret.list', 3));
    const ask = () =>
      lone.claimExpiryWarning({ tenant: tenant2, path: 'p', expiresAt: 9, kind: '1d', event: event(tenant2, 'p', 'secret.expiring', 3) });
    expect(await ask()).toBe(true);
    expect(await ask()).toBe(false);
    expect(await ask()).toBe(false);
    await lone.appendAudit(event(tenant2, null, 'secret.list', 3));
    expect(lone.linkPredictions).toEqual({ predicted: 2, computedByServer: 1 });
    const heads = await lone.auditHeads(tenant2);
    expect(heads).toEqual([expect.objectContaining({ chain: 3, seq: 3 })]);
  });

  it('reads records of a store written before rotation existed, and backfills its lifecycle indexes', async () => {
    const old = uniquePrefix();
    const nested = `${old}t:other:`;
    const client = clients[0]!;
    try {
      const storage = redisAdapter({ client }, { prefix: old });
      const tenant = 'legacy';
      await storage.createSecret({ secret: secret(tenant, 'keep'), version: version(tenant, 'keep'), event: event(tenant, 'keep') });
      await storage.createSecret({
        secret: secret(tenant, 'soon', { expiresAt: 500 }),
        version: version(tenant, 'soon'),
        event: event(tenant, 'soon'),
      });
      await storage.createSecret({ secret: secret(tenant, 'gone'), version: version(tenant, 'gone'), event: event(tenant, 'gone') });
      await storage.trashSecret({ tenant, path: 'gone', now: 2, purgeAt: 100, by: 'app:t', event: event(tenant, 'gone') });
      await storage.createApproval({ approval: approval(tenant, 'apr_old', 300), event: event(tenant, null, 'approval.request') });
      await storage.createApproval({ approval: approval('legacy-2', 'apr_old2', 200), event: event('legacy-2', null, 'approval.request') });
      // A vault under a longer prefix that starts with this one: its keys match this prefix's patterns.
      const other = redisAdapter({ client }, { prefix: nested });
      await other.createApproval({ approval: approval(tenant, 'apr_other', 1), event: event(tenant, null, 'approval.request') });

      // The hash holds exactly the fields the previous layout wrote; the indexes it lacked are gone.
      const fields = Object.keys(await client.hgetall(`${old}t:${tenant}:s:keep`)).sort();
      expect(fields).toEqual(['cat', 'cby', 'cur', 'latest', 'tags', 'tier', 'type', 'uat', 'uby']);
      await client.del(`${old}ix:rot`, `${old}ix:exp`, `${old}ix:purge`, `${old}ix:apr`);

      expect(await storage.getSecret(tenant, 'keep')).toMatchObject({ rotation: null, pendingVersion: null });
      expect(await storage.listPurgeableSecrets({ now: 1_000, limit: 10 })).toEqual([]);
      expect(await storage.listExpiringSecrets({ from: 0, until: 1_000, after: null, limit: 10 })).toEqual([]);
      expect(await storage.listExpiredApprovals({ now: 1_000, limit: 10 })).toEqual([]);

      expect(await storage.reindexLifecycle(2)).toEqual({ secrets: 3, approvals: 2 });
      // Idempotent.
      expect(await storage.reindexLifecycle()).toEqual({ secrets: 3, approvals: 2 });
      expect((await storage.listPurgeableSecrets({ now: 1_000, limit: 10 })).map((s) => s.path)).toEqual(['gone']);
      expect((await storage.listExpiringSecrets({ from: 0, until: 1_000, after: null, limit: 10 })).map((s) => s.path)).toEqual([
        'soon',
      ]);
      expect((await storage.listExpiredApprovals({ now: 1_000, limit: 10 })).map((a) => a.id)).toEqual(['apr_old2', 'apr_old']);
      expect(await storage.listDueRotations({ now: 1_000, limit: 10 })).toEqual([]);

      // Maintenance on the upgraded store purges and expires what was written before.
      const logger = { warn() {}, error() {} };
      const vault = createVault({ storage, keys: testKeyWrapper(), clock: manualClock(), defaultTenant: tenant, logger });
      const report = await vault.runMaintenance(1_000);
      expect(report).toMatchObject({ purged: 1, approvalsExpired: 2, errors: 0 });
      expect(await storage.getSecret(tenant, 'gone')).toBeNull();
      expect((await other.getApproval(tenant, 'apr_other'))?.status).toBe('pending');
    } finally {
      await deleteKeysUnder(client, old);
    }
  });
});

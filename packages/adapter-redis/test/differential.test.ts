/**
 * The Redis indexes against the reference implementation: the same records go into the memory
 * adapter and into Redis, and many generated queries (filters, keyset pages, both orders) must
 * return the same answers from both. The lifecycle case replays generated writes (staged rotation,
 * trash, purge, expiry and rotation patches, approvals) and compares the cross-tenant maintenance
 * queries that the store-wide indexes answer.
 */
import { memoryAdapter } from '@agentvault/adapter-memory';
import {
  type ApprovalRecord,
  AUDIT_EVENT_TYPES,
  type AuditEventInput,
  type AuditEventType,
  type AuditQuery,
  auditDigest,
  type ListSecretsQuery,
  type RotationPolicy,
  SECRET_TYPES,
  type SecretPatch,
  type SecretRecord,
  type StorageAdapter,
  TIERS,
} from '@agentvault/core';
import { describeRequiring } from '@agentvault/core/testing';
import { afterAll, expect, it } from 'vitest';
import { deleteKeysUnder, redisAdapter } from '../src/index';
import { newClient, redisAvailable, redisProblem, uniquePrefix } from './redis-env';

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const some = <T>(items: readonly T[]): T[] => items.filter(() => next() < 0.4);
  return { next, pick, some };
}

const PATHS = ['a', 'a/b', 'a/b/c', 'a/bc', 'a-b/c', 'ab/c', 'b/x', 'b/x/y', 'c', 'a/b/d', 'zz/top'];
const TAGS: Record<string, string>[] = [{}, { team: 'x' }, { team: 'y' }, { team: 'x', env: 'prod' }];

describeRequiring(redisProblem, 'redis indexes agree with the memory adapter', () => {
  const prefix = uniquePrefix();
  const client = redisAvailable ? newClient() : null;
  afterAll(async () => {
    if (!client) return;
    await deleteKeysUnder(client, prefix);
    await client.quit();
  });

  it('answers generated audit queries exactly as the reference does', async () => {
    const memory = memoryAdapter();
    const redis = redisAdapter({ client: client! }, { prefix });
    const r = random(7);
    const tenant = 'diff-audit';
    for (let i = 0; i < 300; i++) {
      const base = {
        id: `evt_${String(i).padStart(4, '0')}${r.pick(['A', 'B', 'C'])}`,
        tenant,
        chain: i % 3,
        type: r.pick(['secret.read', 'secret.create', 'token.issue', 'secret.list'] as const),
        path: r.next() < 0.2 ? null : r.pick(PATHS),
        actor: r.pick(['app:a', 'app:b', 'key:k1']),
        actorDescription: null,
        ip: null,
        userAgent: null,
        // Few distinct timestamps, so ties are ordered by id.
        timestamp: 1_000 + Math.floor(r.next() * 40) * 10,
        details: { i },
      };
      const success = r.next() < 0.7;
      const event: AuditEventInput = {
        ...base,
        digest: auditDigest(base),
        success,
        error: success ? null : 'not_found',
        version: null,
      };
      await memory.appendAudit(event);
      await redis.appendAudit(event);
    }
    const ids = (events: { id: string }[]) => events.map((e) => e.id);
    for (let q = 0; q < 150; q++) {
      const query: AuditQuery = {
        tenant,
        after: null,
        order: r.pick(['asc', 'desc'] as const),
        limit: 1 + Math.floor(r.next() * 40),
      };
      if (r.next() < 0.3) query.namespace = r.pick(['', 'a', 'a/b', 'b', 'zz']);
      if (r.next() < 0.15) query.path = r.pick(PATHS);
      if (r.next() < 0.3) query.actor = r.pick(['app:a', 'app:b', 'key:k1', 'app:none']);
      if (r.next() < 0.3) query.types = r.some(AUDIT_EVENT_TYPES.slice(0, 20));
      if (r.next() < 0.3) query.since = 1_000 + Math.floor(r.next() * 40) * 10;
      if (r.next() < 0.3) query.until = 1_000 + Math.floor(r.next() * 40) * 10;
      if (r.next() < 0.3) query.success = r.next() < 0.5;
      // Walk every page and compare each one.
      for (let page = 0; page < 50; page++) {
        const [expected, actual] = await Promise.all([memory.queryAudit(query), redis.queryAudit(query)]);
        expect(ids(actual), JSON.stringify(query)).toEqual(ids(expected));
        const last = expected.at(-1);
        if (!last || expected.length < query.limit) break;
        query.after = { timestamp: last.timestamp, id: last.id };
      }
    }
    for (const chain of [0, 1, 2]) {
      const read = (storage: StorageAdapter) =>
        storage.readAuditChain({ tenant, chain, afterSeq: 5, limit: 30 });
      const [expected, actual] = await Promise.all([read(memory), read(redis)]);
      expect(actual).toEqual(expected);
    }
  });

  it('answers generated secret listings exactly as the reference does', async () => {
    const memory = memoryAdapter();
    const redis = redisAdapter({ client: client! }, { prefix });
    const r = random(11);
    const tenant = 'diff-list';
    const paths = [...new Set([...PATHS, ...Array.from({ length: 40 }, (_, i) => `${r.pick(PATHS)}/n${i}`)])];
    let n = 0;
    const event = (path: string) => {
      const base = {
        id: `evt_l${n++}`,
        tenant,
        chain: 0,
        type: 'secret.create' as const,
        path,
        actor: 'app:t',
        actorDescription: null,
        ip: null,
        userAgent: null,
        timestamp: 1,
        details: {},
      };
      return { ...base, digest: auditDigest(base), success: true, error: null, version: 1 };
    };
    for (const path of paths) {
      const secret: SecretRecord = {
        tenant,
        path,
        type: r.pick(SECRET_TYPES),
        tier: r.pick(TIERS),
        description: null,
        tags: r.pick(TAGS),
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
      };
      const version = {
        tenant,
        path,
        version: 1,
        ciphertext: new Uint8Array([1, 2, 3]),
        wrappedKey: { keyId: 'k', ciphertext: new Uint8Array([4, 5]) },
        createdAt: 1,
        createdBy: 'app:t',
        retiresAt: null,
      };
      for (const storage of [memory, redis])
        await storage.createSecret({ secret, version, event: event(path) });
      if (r.next() < 0.25) {
        for (const storage of [memory, redis]) {
          await storage.trashSecret({ tenant, path, now: 2, purgeAt: 3, by: 'app:t', event: event(path) });
        }
      } else if (r.next() < 0.3) {
        const patch = { tier: r.pick(TIERS), type: r.pick(SECRET_TYPES), tags: r.pick(TAGS) };
        for (const storage of [memory, redis]) {
          await storage.updateSecretMetadata({
            tenant,
            path,
            expectedCurrentVersion: 1,
            patch,
            updatedAt: 2,
            updatedBy: 'app:t',
            event: event(path),
          });
        }
      }
    }
    for (let q = 0; q < 150; q++) {
      const query: ListSecretsQuery = {
        tenant,
        namespace: r.pick(['', 'a', 'a/b', 'b', 'zz', 'nothing']),
        afterPath: r.next() < 0.3 ? r.pick(paths) : null,
        limit: 1 + Math.floor(r.next() * 20),
        trashed: r.next() < 0.3,
      };
      if (r.next() < 0.3) query.tiers = r.some(TIERS);
      if (r.next() < 0.3) query.types = r.some(SECRET_TYPES);
      if (r.next() < 0.3) query.tags = r.pick(TAGS);
      const [expected, actual] = await Promise.all([memory.listSecrets(query), redis.listSecrets(query)]);
      expect({ total: actual.total, paths: actual.items.map((i) => i.path) }, JSON.stringify(query)).toEqual({
        total: expected.total,
        paths: expected.items.map((i) => i.path),
      });
      expect(actual.items).toEqual(expected.items);
    }
  });
});

describeRequiring(redisProblem, 'redis lifecycle indexes agree with the memory adapter', () => {
  const prefix = uniquePrefix();
  const client = redisAvailable ? newClient() : null;
  afterAll(async () => {
    if (!client) return;
    await deleteKeysUnder(client, prefix);
    await client.quit();
  });

  const TENANTS = ['ta', 'tb', 'tb-2'];
  const LIFE_PATHS = ['a', 'a/b', 'a/bc', 'b/x', 'c', 'zz/top'];
  // Few distinct times, so the indexes hold many ties.
  const TIMES = [100, 200, 200, 300, 400];

  let n = 0;
  const event = (tenant: string, path: string | null, type: AuditEventType = 'secret.update'): AuditEventInput => {
    const base = {
      id: `evt_lc${n++}`,
      tenant,
      chain: 0,
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
  };
  const version = (tenant: string, path: string, number: number) => ({
    tenant,
    path,
    version: number,
    ciphertext: new Uint8Array([number, 2, 3]),
    wrappedKey: { keyId: 'k', ciphertext: new Uint8Array([4, 5]) },
    createdAt: number,
    createdBy: 'app:t',
    retiresAt: null,
  });

  /** Run one operation on both stores: both fail with the same error class, or both return equal results. */
  async function both<T>(memory: StorageAdapter, redis: StorageAdapter, label: string, op: (s: StorageAdapter) => Promise<T>) {
    const settle = (p: Promise<T>) =>
      p.then(
        (value) => ({ value }),
        (error: unknown) => ({ error: (error as Error).constructor.name }),
      );
    const expected = await settle(op(memory));
    const actual = await settle(op(redis));
    expect(actual, label).toEqual(expected);
  }

  it('answers the cross-tenant maintenance queries exactly as the reference does', async () => {
    const memory = memoryAdapter();
    const redis = redisAdapter({ client: client! }, { prefix });
    const r = random(23);
    const rotation = (): RotationPolicy | null => {
      if (r.next() < 0.4) return null;
      return { everySeconds: 60, gracePeriodSeconds: 5, nextAt: r.pick(TIMES), failures: Math.floor(r.next() * 3) };
    };
    const expiry = () => (r.next() < 0.4 ? null : r.pick(TIMES));

    const where = (s: SecretRecord) => `${s.tenant} ${s.path}`;
    const byPlace = (items: SecretRecord[]) => [...items].sort((a, b) => where(a).localeCompare(where(b)));
    const dueRank = (s: SecretRecord) => (s.pendingVersion !== null ? -1 : s.rotation!.nextAt);
    const seen = { expiring: 0, due: 0, purgeable: 0, pending: 0 };

    /** Expiring: a total order, so every keyset page must be identical. */
    async function compareExpiring(queries: number): Promise<void> {
      for (let q = 0; q < queries; q++) {
        const from = r.pick([0, 100, 150, 200, 300]);
        const until = from + r.pick([0, 100, 200, 500]);
        const limit = 1 + Math.floor(r.next() * 6);
        let after: { expiresAt: number; tenant: string; path: string } | null = null;
        for (let page = 0; page < 40; page++) {
          const query: Parameters<StorageAdapter['listExpiringSecrets']>[0] = { from, until, after, limit };
          const [expected, actual] = await Promise.all([memory.listExpiringSecrets(query), redis.listExpiringSecrets(query)]);
          expect(actual, JSON.stringify(query)).toEqual(expected);
          seen.expiring += actual.length;
          const last: SecretRecord | undefined = expected.at(-1);
          if (!last || expected.length < limit) break;
          after = { expiresAt: last.expiresAt!, tenant: last.tenant, path: last.path };
        }
      }
    }

    /**
     * Due rotations and purgeable secrets: ordered by one time, ties in any order. The same sorting
     * times page by page, and the same records when the page holds them all.
     */
    async function compareDueAndPurgeable(): Promise<void> {
      for (const now of [0, 50, 100, 200, 250, 400, 1000]) {
        for (const limit of [1, 3, 1000]) {
          const [expected, actual] = await Promise.all([
            memory.listDueRotations({ now, limit }),
            redis.listDueRotations({ now, limit }),
          ]);
          expect(actual.map(dueRank), `due at ${now}`).toEqual(expected.map(dueRank));
          if (limit === 1000) expect(byPlace(actual)).toEqual(byPlace(expected));
          seen.due = Math.max(seen.due, actual.length);
          if (now === 0) seen.pending = Math.max(seen.pending, actual.length);
        }
        for (const limit of [1, 3, 1000]) {
          const [expected, actual] = await Promise.all([
            memory.listPurgeableSecrets({ now: now / 10, limit }),
            redis.listPurgeableSecrets({ now: now / 10, limit }),
          ]);
          expect(actual.map((s) => s.purgeAt), `purgeable at ${now / 10}`).toEqual(expected.map((s) => s.purgeAt));
          if (limit === 1000) expect(byPlace(actual)).toEqual(byPlace(expected));
          seen.purgeable = Math.max(seen.purgeable, actual.length);
        }
      }
    }

    for (let step = 0; step < 600; step++) {
      const tenant = r.pick(TENANTS);
      const path = r.pick(LIFE_PATHS);
      const stored = await memory.getSecret(tenant, path);
      const label = `step ${step}`;
      const op = r.pick(['create', 'create', 'update', 'append', 'trash', 'restore', 'destroy', 'stage', 'stage', 'promote', 'discard'] as const);
      switch (op) {
        case 'create': {
          const secret: SecretRecord = {
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
            expiresAt: expiry(),
            trashedAt: null,
            purgeAt: null,
            rotation: rotation(),
            pendingVersion: null,
          };
          const e = event(tenant, path);
          await both(memory, redis, label, (s) => s.createSecret({ secret, version: version(tenant, path, 1), event: e }));
          break;
        }
        case 'update':
        case 'append': {
          const patch: SecretPatch = {};
          if (r.next() < 0.6) patch.expiresAt = expiry();
          if (r.next() < 0.6) patch.rotation = rotation();
          const e = event(tenant, path);
          if (op === 'update') {
            await both(memory, redis, label, (s) =>
              s.updateSecretMetadata({ tenant, path, expectedCurrentVersion: null, patch, updatedAt: step, updatedBy: 'app:t', event: e }),
            );
          } else {
            const next = version(tenant, path, (stored?.latestVersion ?? 0) + 1);
            const expectedCurrentVersion = stored?.currentVersion ?? 1;
            const retirePreviousAt = r.next() < 0.5 ? step : null;
            await both(memory, redis, label, (s) =>
              s.appendVersion({ version: next, expectedCurrentVersion, patch, retirePreviousAt, event: e }),
            );
          }
          break;
        }
        case 'trash': {
          const e = event(tenant, path);
          const purgeAt = r.pick([10, 20, 20, 30]);
          await both(memory, redis, label, (s) => s.trashSecret({ tenant, path, now: step, purgeAt, by: 'app:t', event: e }));
          break;
        }
        case 'restore': {
          const e = event(tenant, path);
          await both(memory, redis, label, (s) => s.restoreSecret({ tenant, path, now: step, by: 'app:t', event: e }));
          break;
        }
        case 'destroy': {
          // Mostly maintenance's purge (which refuses secrets not trashed and due), sometimes a plain delete.
          const e = event(tenant, path);
          const purgeDueBy = r.next() < 0.2 ? undefined : r.pick([15, 25]);
          await both(memory, redis, label, (s) => s.destroySecret({ tenant, path, purgeDueBy, event: e }));
          break;
        }
        case 'stage': {
          const e = event(tenant, path, 'secret.stage');
          const next = version(tenant, path, (stored?.latestVersion ?? 0) + (r.next() < 0.9 ? 1 : 2));
          const expectedCurrentVersion = stored?.currentVersion ?? 1;
          await both(memory, redis, label, (s) => s.stageVersion({ version: next, expectedCurrentVersion, event: e }));
          break;
        }
        case 'promote':
        case 'discard': {
          const e = event(tenant, path, 'secret.rotate');
          const target = r.next() < 0.85 ? (stored?.pendingVersion ?? 1) : (stored?.latestVersion ?? 1);
          const policy = rotation();
          await both(memory, redis, label, (s) =>
            op === 'promote'
              ? s.promoteVersion({ tenant, path, version: target, retirePreviousAt: step, rotation: policy, now: step, by: 'app:r', event: e })
              : s.discardPending({ tenant, path, version: target, rotation: policy, now: step, event: e }),
          );
          break;
        }
      }
      // Compare as the history goes, before later writes can paper over a missed index update.
      if (step % 30 === 29) {
        await compareDueAndPurgeable();
        await compareExpiring(2);
      }
    }

    // Every record and version list, as stored.
    for (const tenant of TENANTS) {
      for (const path of LIFE_PATHS) {
        expect(await redis.getSecret(tenant, path), `${tenant} ${path}`).toEqual(await memory.getSecret(tenant, path));
        expect(await redis.listVersions(tenant, path)).toEqual(await memory.listVersions(tenant, path));
      }
    }

    await compareDueAndPurgeable();
    await compareExpiring(60);
    // The generated history reaches every case.
    expect(seen.expiring).toBeGreaterThan(50);
    expect(seen.due).toBeGreaterThan(3);
    expect(seen.purgeable).toBeGreaterThan(1);
    expect(seen.pending).toBeGreaterThan(0);
  });

  it('lists expired approval requests of every tenant exactly as the reference does', async () => {
    const memory = memoryAdapter();
    const redis = redisAdapter({ client: client! }, { prefix: `${prefix}apr:` });
    const r = random(31);
    for (let i = 0; i < 80; i++) {
      const tenant = r.pick(TENANTS);
      const approval: ApprovalRecord = {
        id: `apr_${String(i).padStart(3, '0')}`,
        tenant,
        requestedBy: 'app:req',
        requesterDescription: null,
        request: { scope: 'secrets:read:a/*', ttlSeconds: 60, description: null, allowedIps: null, maxUses: null, parentId: null },
        tier: 'critical',
        status: 'pending',
        decisions: [],
        requiredApprovals: 1,
        createdAt: 1,
        expiresAt: r.pick(TIMES),
        decidedAt: null,
        claimedAt: null,
        tokenId: null,
      };
      const created = event(tenant, null, 'approval.request');
      await both(memory, redis, `create ${i}`, (s) => s.createApproval({ approval, event: created }));
      const fate = r.next();
      const now = r.pick([50, 150, 250, 450]);
      if (fate < 0.3) {
        const decision = { decision: r.pick(['approve', 'deny'] as const), by: 'user:alice', note: null, at: now };
        const e = event(tenant, null, 'approval.approve');
        await both(memory, redis, `decide ${i}`, (s) => s.decideApproval({ tenant, id: approval.id, decision, now, event: e }));
      } else if (fate < 0.6) {
        const e = event(tenant, null, 'approval.expire');
        await both(memory, redis, `expire ${i}`, (s) => s.expireApproval({ tenant, id: approval.id, now, event: e }));
      }
    }
    const e = event('ta', null, 'approval.expire');
    await both(memory, redis, 'expire in another tenant', (s) => s.expireApproval({ tenant: 'tb', id: 'apr_000', now: 1000, event: e }));
    let seen = 0;
    for (const now of [0, 100, 150, 200, 300, 1000]) {
      for (const limit of [1, 4, 1000]) {
        const [expected, actual] = await Promise.all([
          memory.listExpiredApprovals({ now, limit }),
          redis.listExpiredApprovals({ now, limit }),
        ]);
        expect(actual.map((a) => a.expiresAt), `expired at ${now}`).toEqual(expected.map((a) => a.expiresAt));
        const byId = (items: ApprovalRecord[]) => [...items].sort((a, b) => a.id.localeCompare(b.id));
        if (limit === 1000) expect(byId(actual)).toEqual(byId(expected));
        seen = Math.max(seen, actual.length);
      }
    }
    expect(seen).toBeGreaterThan(10);
  });
});

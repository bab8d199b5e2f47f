/**
 * The Redis indexes against the reference implementation: the same records go into the memory
 * adapter and into Redis, and many generated queries (filters, keyset pages, both orders) must
 * return the same answers from both.
 */
import { memoryAdapter } from '@agentvault/adapter-memory';
import {
  AUDIT_EVENT_TYPES,
  type AuditEventInput,
  type AuditQuery,
  auditDigest,
  type ListSecretsQuery,
  SECRET_TYPES,
  type SecretRecord,
  type StorageAdapter,
  TIERS,
} from '@agentvault/core';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteKeysUnder, redisAdapter } from '../src/index';
import { newClient, redisAvailable, uniquePrefix } from './redis-env';

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

describe.skipIf(!redisAvailable)('redis indexes agree with the memory adapter', () => {
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

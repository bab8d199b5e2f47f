/**
 * The lifecycle methods against the reference implementation. A seeded generator replays the same
 * writes (create, metadata and expiry/rotation patches, appends, rollbacks, trash, restore, purge,
 * stage, promote, discard, leases, expiry-warning claims, approvals) on the memory adapter and on
 * PostgreSQL: each must end the same way (the same record, or the same error class), and the
 * cross-tenant maintenance listings must agree as the history goes, keyset pages included.
 */
import { memoryAdapter } from '@agentvault/adapter-memory';
import type {
  ApprovalRecord,
  AuditEventInput,
  AuditEventType,
  RotationPolicy,
  SecretPatch,
  SecretRecord,
  StorageAdapter,
  VersionRecord,
} from '@agentvault/core';
import type pg from 'pg';
import { describeRequiring } from '@agentvault/core/testing';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { postgresAdapter } from '../src/index';
import { dropSchema, testPool, uniqueSchema } from '../src/testing';
import { draft } from './support/fixtures';

/** mulberry32: a small seeded generator, so a failure replays. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]! };
}

// Tenants and paths whose code-unit order differs from a naive one ('-' < '/' < '0' < 'a').
const TENANTS = ['t-a', 't-b', 't-b-2'];
const PATHS = ['a', 'a-b', 'a/b', 'a0', 'b/x/y', 'z'];
// Few distinct times, so the listings hold many ties.
const TIMES = [100, 200, 200, 300, 400];

const event = (tenant: string, path: string | null, type: AuditEventType = 'secret.update'): AuditEventInput => ({
  ...draft(tenant, path, 1),
  type,
  success: true,
  error: null,
  version: null,
});

const versionOf = (tenant: string, path: string, version: number): VersionRecord => ({
  tenant,
  path,
  version,
  ciphertext: new Uint8Array([version, 1, 2]),
  wrappedKey: { keyId: 'k', ciphertext: new Uint8Array([3, version]) },
  createdAt: version,
  createdBy: 'app:t',
  retiresAt: null,
});

describeRequiring(inject('pgProblem'), 'postgres lifecycle agrees with the memory adapter', () => {
  const schemas: string[] = [];
  let pool: pg.Pool;
  beforeAll(() => {
    pool = testPool();
  });
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(pool, schema);
    await pool.end();
  });

  async function stores(): Promise<{ memory: StorageAdapter; postgres: StorageAdapter }> {
    const schema = uniqueSchema('differential');
    schemas.push(schema);
    const postgres = postgresAdapter({ pool }, { schema });
    await postgres.migrate();
    return { memory: memoryAdapter(), postgres };
  }

  /** The same call on both stores: the same value, or errors of the same class. */
  async function both<T>(
    { memory, postgres }: { memory: StorageAdapter; postgres: StorageAdapter },
    label: string,
    call: (storage: StorageAdapter) => Promise<T>,
  ): Promise<void> {
    const settle = (promise: Promise<T>) =>
      promise.then(
        (value) => ({ value }),
        (error: unknown) => ({ error: (error as Error).constructor.name }),
      );
    const expected = await settle(call(memory));
    expect(await settle(call(postgres)), label).toEqual(expected);
  }

  for (const seed of [7, 1_234]) {
    it(`replays 500 generated lifecycle writes identically (seed ${seed})`, async () => {
      const s = await stores();
      const { memory, postgres } = s;
      const r = generator(seed);
      const rotation = (): RotationPolicy | null =>
        r.next() < 0.4
          ? null
          : { everySeconds: 60, gracePeriodSeconds: 5, nextAt: r.pick(TIMES), failures: Math.floor(r.next() * 3) };
      const expiry = () => (r.next() < 0.4 ? null : r.pick(TIMES));
      const place = (secret: SecretRecord) => `${secret.tenant}\u0000${secret.path}`;
      const byPlace = (items: SecretRecord[]) => items.map(place).sort();
      const dueRank = (secret: SecretRecord) => (secret.pendingVersion !== null ? -1 : secret.rotation!.nextAt);
      const seen = { expiring: 0, due: 0, pending: 0, purgeable: 0, claims: 0, leases: 0 };

      async function compareListings(expiringWalks: number): Promise<void> {
        for (const now of [0, 100, 200, 250, 1_000]) {
          for (const limit of [1, 3, 1_000]) {
            // Ordered by one time with ties in any order: the same times, and the same secrets when all fit.
            const [due, dueHere] = await Promise.all([
              memory.listDueRotations({ now, limit }),
              postgres.listDueRotations({ now, limit }),
            ]);
            expect(dueHere.map(dueRank), `due at ${now}`).toEqual(due.map(dueRank));
            const [purge, purgeHere] = await Promise.all([
              memory.listPurgeableSecrets({ now: now / 10, limit }),
              postgres.listPurgeableSecrets({ now: now / 10, limit }),
            ]);
            expect(purgeHere.map((x) => x.purgeAt), `purgeable at ${now / 10}`).toEqual(purge.map((x) => x.purgeAt));
            if (limit === 1_000) {
              expect(byPlace(dueHere)).toEqual(byPlace(due));
              expect(byPlace(purgeHere)).toEqual(byPlace(purge));
              for (const record of [...dueHere, ...purgeHere]) {
                expect(record).toEqual(await memory.getSecret(record.tenant, record.path));
              }
              seen.due = Math.max(seen.due, due.length);
              seen.purgeable = Math.max(seen.purgeable, purge.length);
              if (now === 0) seen.pending = Math.max(seen.pending, due.length);
            }
          }
        }
        // Expiring: a total order, so every keyset page must be the same.
        for (let walk = 0; walk < expiringWalks; walk++) {
          const from = r.pick([0, 100, 150, 200, 300]);
          const until = from + r.pick([0, 100, 200, 500]);
          const limit = 1 + Math.floor(r.next() * 5);
          let after: { expiresAt: number; tenant: string; path: string } | null = null;
          for (let page = 0; page < 60; page++) {
            const query = { from, until, after, limit };
            const expected = await memory.listExpiringSecrets(query);
            expect(await postgres.listExpiringSecrets(query), JSON.stringify(query)).toEqual(expected);
            seen.expiring += expected.length;
            const last = expected.at(-1);
            if (!last || expected.length < limit) break;
            after = { expiresAt: last.expiresAt!, tenant: last.tenant, path: last.path };
          }
        }
      }

      for (let step = 0; step < 500; step++) {
        const tenant = r.pick(TENANTS);
        const path = r.pick(PATHS);
        const stored = await memory.getSecret(tenant, path);
        const label = `step ${step}`;
        const op = r.pick([
          'create',
          'create',
          'update',
          'append',
          'rollback',
          'trash',
          'restore',
          'destroy',
          'stage',
          'stage',
          'promote',
          'discard',
          'lease',
          'warn',
        ] as const);
        const latest = stored?.latestVersion ?? 0;
        const current = stored?.currentVersion ?? 1;
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
            const e = event(tenant, path, 'secret.create');
            await both(s, label, (x) => x.createSecret({ secret, version: versionOf(tenant, path, 1), event: e }));
            break;
          }
          case 'update':
          case 'append': {
            const patch: SecretPatch = {};
            if (r.next() < 0.6) patch.expiresAt = expiry();
            if (r.next() < 0.6) patch.rotation = rotation();
            const e = event(tenant, path);
            if (op === 'update') {
              await both(s, label, (x) =>
                x.updateSecretMetadata({
                  tenant,
                  path,
                  expectedCurrentVersion: r.next() < 0.8 ? null : current,
                  patch,
                  updatedAt: step,
                  updatedBy: 'app:t',
                  event: e,
                }),
              );
            } else {
              const version = versionOf(tenant, path, latest + 1);
              const retirePreviousAt = r.next() < 0.5 ? step : null;
              await both(s, label, (x) =>
                x.appendVersion({ version, expectedCurrentVersion: current, patch, retirePreviousAt, event: e }),
              );
            }
            break;
          }
          case 'rollback': {
            // The pending version (refused), an older one, or one that does not exist.
            const toVersion = r.pick([stored?.pendingVersion ?? 1, Math.max(1, latest - 1), latest + 1]);
            const e = event(tenant, path, 'secret.rollback');
            await both(s, label, (x) =>
              x.rollbackSecret({ tenant, path, toVersion, expectedCurrentVersion: null, now: step, by: 'app:t', event: e }),
            );
            break;
          }
          case 'trash': {
            const e = event(tenant, path, 'secret.delete');
            const purgeAt = r.pick([10, 20, 20, 30]);
            await both(s, label, (x) => x.trashSecret({ tenant, path, now: step, purgeAt, by: 'app:t', event: e }));
            break;
          }
          case 'restore': {
            const e = event(tenant, path, 'secret.restore');
            await both(s, label, (x) => x.restoreSecret({ tenant, path, now: step, by: 'app:t', event: e }));
            break;
          }
          case 'destroy': {
            // Mostly maintenance's purge (refused unless trashed and due), sometimes a plain destroy.
            const purgeDueBy = r.next() < 0.2 ? undefined : r.pick([15, 25]);
            const e = event(tenant, path, 'secret.destroy');
            await both(s, label, (x) => x.destroySecret({ tenant, path, purgeDueBy, event: e }));
            break;
          }
          case 'stage': {
            const version = versionOf(tenant, path, latest + (r.next() < 0.9 ? 1 : 2));
            const e = event(tenant, path, 'secret.stage');
            await both(s, label, (x) => x.stageVersion({ version, expectedCurrentVersion: current, event: e }));
            break;
          }
          case 'promote':
          case 'discard': {
            const version = r.next() < 0.85 ? (stored?.pendingVersion ?? 1) : latest;
            const policy = rotation();
            const e = event(tenant, path, op === 'promote' ? 'secret.rotate' : 'secret.discard');
            await both(s, label, (x) =>
              op === 'promote'
                ? x.promoteVersion({
                    tenant,
                    path,
                    version,
                    retirePreviousAt: step,
                    rotation: policy,
                    now: step,
                    by: 'app:r',
                    event: e,
                  })
                : x.discardPending({ tenant, path, version, rotation: policy, now: step, event: e }),
            );
            break;
          }
          case 'lease': {
            const name = `rotation/${tenant}/${path}`;
            const owner = r.pick(['i-1', 'i-2']);
            const now = step * 10;
            if (r.next() < 0.3) await both(s, label, (x) => x.releaseLease({ name, owner }));
            else {
              const ttlMs = r.pick([5, 30, 200]);
              await both(s, label, (x) => x.acquireLease({ name, owner, now, ttlMs }));
              seen.leases++;
            }
            break;
          }
          case 'warn': {
            const kind = r.pick(['7d', '1d'] as const);
            const expiresAt = r.pick(TIMES);
            const e = event(tenant, path, 'secret.expiring');
            await both(s, label, (x) => x.claimExpiryWarning({ tenant, path, expiresAt, kind, event: e }));
            seen.claims++;
            break;
          }
        }
        // As the history goes, before later writes can hide a wrong intermediate state.
        if (step % 50 === 49) await compareListings(2);
      }

      for (const tenant of TENANTS) {
        for (const path of PATHS) {
          expect(await postgres.getSecret(tenant, path), `${tenant} ${path}`).toEqual(await memory.getSecret(tenant, path));
          expect(await postgres.listVersions(tenant, path)).toEqual(await memory.listVersions(tenant, path));
        }
        // Refused writes appended nothing; accepted ones one event each, on both.
        const heads = async (x: StorageAdapter) => (await x.auditHeads(tenant)).map((h) => h.seq);
        expect(await heads(postgres)).toEqual(await heads(memory));
      }
      await compareListings(40);
      // The generated history reaches every case.
      expect(seen.expiring).toBeGreaterThan(50);
      expect(seen.due).toBeGreaterThan(3);
      expect(seen.pending).toBeGreaterThan(0);
      expect(seen.purgeable).toBeGreaterThan(0);
    });
  }

  it('expires approval requests and lists the expired ones of every tenant as the reference does', async () => {
    const s = await stores();
    const r = generator(99);
    for (let i = 0; i < 80; i++) {
      const tenant = r.pick(TENANTS);
      const approval: ApprovalRecord = {
        id: `apr_${String(i).padStart(3, '0')}`,
        tenant,
        requestedBy: 'app:req',
        requesterDescription: null,
        request: {
          scope: 'secrets:read:a/*',
          ttlSeconds: 60,
          description: null,
          allowedIps: null,
          maxUses: null,
          parentId: null,
        },
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
      await both(s, `create ${i}`, (x) => x.createApproval({ approval, event: created }));
      const fate = r.next();
      const now = r.pick([50, 150, 250, 450]);
      // Sometimes the wrong tenant: not found on both.
      const asTenant = r.next() < 0.1 ? r.pick(TENANTS) : tenant;
      if (fate < 0.3) {
        const decision = { decision: r.pick(['approve', 'deny'] as const), by: 'user:alice', note: null, at: now };
        const e = event(asTenant, null, 'approval.approve');
        await both(s, `decide ${i}`, (x) => x.decideApproval({ tenant: asTenant, id: approval.id, decision, now, event: e }));
      }
      if (fate < 0.7) {
        const e = event(asTenant, null, 'approval.expire');
        await both(s, `expire ${i}`, (x) => x.expireApproval({ tenant: asTenant, id: approval.id, now, event: e }));
      }
    }
    let listed = 0;
    for (const now of [0, 100, 150, 200, 300, 1_000]) {
      for (const limit of [1, 4, 1_000]) {
        const [expected, actual] = await Promise.all([
          s.memory.listExpiredApprovals({ now, limit }),
          s.postgres.listExpiredApprovals({ now, limit }),
        ]);
        expect(actual.map((a) => a.expiresAt), `expired at ${now}`).toEqual(expected.map((a) => a.expiresAt));
        const byId = (items: ApprovalRecord[]) => [...items].sort((a, b) => (a.id < b.id ? -1 : 1));
        if (limit === 1_000) expect(byId(actual)).toEqual(byId(expected));
        listed = Math.max(listed, actual.length);
      }
    }
    expect(listed).toBeGreaterThan(5);
  });
});

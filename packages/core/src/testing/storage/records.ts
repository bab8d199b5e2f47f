/**
 * The records half of the contract, called directly: conditional commits (all or nothing, the
 * failing write named), revisions, checks and deletes, credential lookup, filtered listings and
 * maintenance's due lists. Times here are tiny (≤ 10,000 ms) so no other test's data is ever due.
 */
import { expect, it } from 'vitest';
import type { ApprovalRecord, RecordKey, SecretRecord, TokenRecord } from '../../contracts/records';
import type { RecordWrite, StorageAdapter } from '../../contracts/storage';
import { AgentVaultConflictError } from '../../errors';
import { conflictOf } from '../../vault/records';
import type { SuiteContext } from './context';
import { testEvent } from './fixtures';

const lease = (tenant: string, id: string, owner: string) => ({ tenant, id, owner, expiresAt: 1 });

function token(tenant: string, id: string, fields: Partial<TokenRecord> = {}): TokenRecord {
  return {
    id, tenant, hash: `hash-${tenant}-${id}`, scope: 'secrets:read:*', approvedTier: 'standard', description: null,
    allowedIps: null, maxUses: null, usesRemaining: null, createdAt: 1, expiresAt: 10_000, issuedBy: 'key:k1',
    parentId: null, lineage: ['key:k1'], rootId: id, approvalRequestId: null, revokedAt: null, ...fields,
  };
}

function approval(tenant: string, id: string, fields: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    id, tenant, requestedBy: 'app:req', lineage: [], requesterDescription: null,
    request: { scope: 'secrets:read:a/*', ttlSeconds: 60, description: null, allowedIps: null, maxUses: null, parentId: null },
    tier: 'critical', status: 'pending', decisions: [], requiredApprovals: 1, createdAt: 1, expiresAt: 5_000,
    decidedAt: null, claimedAt: null, tokenId: null, ...fields,
  };
}

function secret(tenant: string, path: string, fields: Partial<SecretRecord> = {}): SecretRecord {
  return {
    tenant, path, type: 'custom', tier: 'standard', description: null, tags: {}, currentVersion: 1, latestVersion: 1,
    createdAt: 1, createdBy: 'app:t', updatedAt: 1, updatedBy: 'app:t', accessedAt: null, expiresAt: null,
    trashedAt: null, purgeAt: null, rotation: null, pendingVersion: null, ...fields,
  };
}

async function conflictIndex(promise: Promise<unknown>): Promise<number | null> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AgentVaultConflictError);
  return conflictOf(error)?.index ?? null;
}

async function put(storage: StorageAdapter, writes: RecordWrite[]): Promise<number[]> {
  return storage.commit({ writes, events: [] });
}

export function recordTests(ctx: SuiteContext): void {
  it('MUST apply a commit all or nothing, by revision, and name the failing write (adapter contract)', async () => {
    const { storage, tenant } = ctx.setup();
    const keyA: RecordKey = { kind: 'lease', tenant, id: 'a' };
    const keyB: RecordKey = { kind: 'lease', tenant, id: 'b' };
    expect(await storage.commit({ writes: [{ op: 'put', kind: 'lease', record: lease(tenant, 'a', 'one'), expect: 'absent' }], events: [testEvent(tenant, null)] })).toEqual([1]);
    expect(await put(storage, [{ op: 'put', kind: 'lease', record: lease(tenant, 'a', 'two'), expect: 1 }])).toEqual([2]);
    expect(await storage.getRecords([keyB, keyA, keyB])).toEqual([
      null,
      { kind: 'lease', record: lease(tenant, 'a', 'two'), rev: 2 },
      null,
    ]);
    const trail = await storage.readAudit({ tenant, afterSeq: 0, limit: 10 });
    // A stale revision, an existing record expected absent, a missing one expected present: each fails, whole.
    const attempts: Array<[RecordWrite[], number]> = [
      [[{ op: 'put', kind: 'lease', record: lease(tenant, 'b', 'x'), expect: 'absent' }, { op: 'put', kind: 'lease', record: lease(tenant, 'a', 'x'), expect: 1 }], 1],
      [[{ op: 'put', kind: 'lease', record: lease(tenant, 'a', 'x'), expect: 'absent' }], 0],
      [[{ op: 'put', kind: 'lease', record: lease(tenant, 'b', 'x'), expect: 1 }], 0],
      [[{ op: 'put', kind: 'lease', record: lease(tenant, 'b', 'x'), expect: 'absent' }, { op: 'delete', key: keyA, expect: 1 }], 1],
      [[{ op: 'put', kind: 'lease', record: lease(tenant, 'b', 'x'), expect: 'absent' }, { op: 'check', key: keyA, expect: 3 }], 1],
      [[{ op: 'check', key: keyB, expect: 1 }, { op: 'put', kind: 'lease', record: lease(tenant, 'b', 'x'), expect: 'absent' }], 0],
    ];
    for (const [writes, index] of attempts) {
      const failed = await conflictIndex(storage.commit({ writes, events: [testEvent(tenant, null)] }));
      expect(failed, JSON.stringify(writes)).toBe(index);
    }
    expect(await storage.getRecords([keyA, keyB])).toEqual([{ kind: 'lease', record: lease(tenant, 'a', 'two'), rev: 2 }, null]);
    expect(await storage.readAudit({ tenant, afterSeq: 0, limit: 10 })).toEqual(trail);
    // Checks pass without changing anything; revs returned: the checked rev, 0 for absent checks and deletes.
    expect(await put(storage, [{ op: 'check', key: keyA, expect: 2 }, { op: 'check', key: keyB, expect: 'absent' }])).toEqual([2, 0]);
    expect(await put(storage, [{ op: 'delete', key: keyA, expect: 2 }, { op: 'put', kind: 'lease', record: lease(tenant, 'b', 'y'), expect: 'absent' }])).toEqual([0, 1]);
    expect(await storage.getRecords([keyA, keyB])).toEqual([null, { kind: 'lease', record: lease(tenant, 'b', 'y'), rev: 1 }]);
    // A record put again after a delete starts over at rev 1.
    expect(await put(storage, [{ op: 'put', kind: 'lease', record: lease(tenant, 'a', 'three'), expect: 'absent' }])).toEqual([1]);
  });

  it('MUST let exactly one of concurrent commits expecting one revision succeed (adapter contract)', async () => {
    const { storage, tenant } = ctx.setup();
    await put(storage, [{ op: 'put', kind: 'lease', record: lease(tenant, 'race', 'start'), expect: 'absent' }]);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        storage.commit({ writes: [{ op: 'put', kind: 'lease', record: lease(tenant, 'race', `owner-${i}`), expect: 1 }], events: [testEvent(tenant, null)] }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && conflictOf(r.reason) !== null)).toHaveLength(19);
    expect(await storage.readAudit({ tenant, afterSeq: 0, limit: 100 })).toHaveLength(1);
    const creates = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => put(storage, [{ op: 'put', kind: 'lease', record: lease(tenant, 'fresh', `o-${i}`), expect: 'absent' }])),
    );
    expect(creates.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('MUST keep credential hashes unique across the store and find them in any tenant (adapter contract)', async () => {
    const a = ctx.setup();
    const b = ctx.setup();
    const t = token(a.tenant, 'tok_1');
    await put(a.storage, [{ op: 'put', kind: 'token', record: t, expect: 'absent' }]);
    const key = { id: 'key_1', tenant: b.tenant, hash: `hash-key-${b.tenant}`, description: null, roles: ['admin' as const], createdAt: 1, createdBy: 'app:t', revokedAt: null };
    await put(b.storage, [{ op: 'put', kind: 'agent_key', record: key, expect: 'absent' }]);
    expect(await a.storage.findCredential(t.hash)).toEqual({ kind: 'token', record: t, rev: 1 });
    expect(await a.storage.findCredential(key.hash)).toEqual({ kind: 'agent_key', record: key, rev: 1 });
    expect(await a.storage.findCredential('no-such-hash')).toBeNull();
    // The same hash under another id, kind or tenant conflicts; the record itself may be rewritten.
    await conflictIndex(put(a.storage, [{ op: 'put', kind: 'token', record: { ...t, id: 'tok_2', rootId: 'tok_2' }, expect: 'absent' }]));
    await conflictIndex(put(b.storage, [{ op: 'put', kind: 'token', record: token(b.tenant, 'tok_1', { hash: t.hash }), expect: 'absent' }]));
    await conflictIndex(put(b.storage, [{ op: 'put', kind: 'token', record: token(b.tenant, 'tok_9', { hash: key.hash }), expect: 'absent' }]));
    await put(a.storage, [{ op: 'put', kind: 'token', record: { ...t, revokedAt: 5 }, expect: 1 }]);
    expect(await a.storage.findCredential(t.hash)).toEqual({ kind: 'token', record: { ...t, revokedAt: 5 }, rev: 2 });
  });

  it('MUST refuse a commit that spans two tenants (adapter contract)', async () => {
    const a = ctx.setup();
    const b = ctx.setup();
    await expect(
      put(a.storage, [
        { op: 'put', kind: 'lease', record: lease(a.tenant, 'x', 'o'), expect: 'absent' },
        { op: 'put', kind: 'lease', record: lease(b.tenant, 'x', 'o'), expect: 'absent' },
      ]),
    ).rejects.toThrow();
    expect(await a.storage.getRecords([{ kind: 'lease', tenant: a.tenant, id: 'x' }])).toEqual([null]);
  });

  it('lists records of a kind by id, filtered and paged by keyset, within the tenant (adapter contract)', async () => {
    const { storage, tenant } = ctx.setup();
    const other = ctx.setup();
    const ids = ['tok_b', 'tok_a-1', 'tok_a/1', 'tok_a0', 'tok_c'];
    for (const [i, id] of ids.entries()) {
      const fields = { parentId: i % 2 ? 'tok_p' : null, issuedBy: i < 2 ? 'key:k1' : 'token:tok_p' };
      await put(storage, [{ op: 'put', kind: 'token', record: token(tenant, id, fields), expect: 'absent' }]);
    }
    await put(other.storage, [{ op: 'put', kind: 'token', record: token(other.tenant, 'tok_a', { parentId: 'tok_p' }), expect: 'absent' }]);
    const list = async (where: Record<string, string>, afterId: string | null = null, limit = 100) =>
      (await storage.listRecords({ kind: 'token', tenant, afterId, limit, where })).map((s) => s.record.id);
    expect(await list({})).toEqual([...ids].sort());
    expect(await list({}, 'tok_a0', 2)).toEqual(['tok_b', 'tok_c']);
    expect(await list({ parentId: 'tok_p' })).toEqual(['tok_a-1', 'tok_a0']);
    expect(await list({ issuedBy: 'key:k1' })).toEqual(['tok_a-1', 'tok_b']);
    expect(await list({ parentId: 'tok_p', issuedBy: 'token:tok_p' })).toEqual(['tok_a0']);
    for (const [id, status] of [['apr_2', 'approved'], ['apr_1', 'pending'], ['apr_3', 'pending']] as const) {
      await put(storage, [{ op: 'put', kind: 'approval', record: approval(tenant, id, { status }), expect: 'absent' }]);
    }
    const pending = await storage.listRecords({ kind: 'approval', tenant, afterId: null, limit: 10, where: { status: 'pending' } });
    expect(pending.map((s) => [s.record.id, s.rev])).toEqual([['apr_1', 1], ['apr_3', 1]]);
  });

  it('lists what maintenance needs across tenants, in order, and keyset-pages expiring secrets (adapter contract)', async () => {
    const a = ctx.setup();
    const b = ctx.setup();
    const [first, second] = [a.tenant, b.tenant].sort();
    const write = async (record: SecretRecord) =>
      a.storage.commit({ writes: [{ op: 'put', kind: 'secret', record, expect: 'absent' }], events: [] });
    const rotation = (nextAt: number) => ({ everySeconds: 60, gracePeriodSeconds: 0, nextAt, failures: 0 });
    await write(secret(a.tenant, 'r/late', { rotation: rotation(3_000) }));
    await write(secret(b.tenant, 'r/early', { rotation: rotation(2_000) }));
    await write(secret(b.tenant, 'r/pending', { pendingVersion: 2, latestVersion: 2, rotation: rotation(9_000) }));
    await write(secret(a.tenant, 'r/trashed', { rotation: rotation(1_000), trashedAt: 1, purgeAt: 4_000 }));
    await write(secret(a.tenant, 'r/not-due', { rotation: rotation(9_500) }));
    const due = await a.storage.listDue({ due: 'rotation', now: 5_000, limit: 100 });
    const mine = due.filter((s) => s.record.tenant === a.tenant || s.record.tenant === b.tenant).map((s) => s.record.path);
    expect(mine).toEqual(['r/pending', 'r/early', 'r/late']);
    const purge = (await a.storage.listDue({ due: 'purge', now: 5_000, limit: 100 })).filter((s) => s.record.tenant === a.tenant);
    expect(purge.map((s) => [s.record.path, s.rev])).toEqual([['r/trashed', 1]]);

    for (const [tenant, path, expiresAt] of [[a.tenant, 'e/x', 200], [b.tenant, 'e/x', 200], [a.tenant, 'e/y', 200], [b.tenant, 'e/a', 300], [a.tenant, 'e/z', 600]] as const)
      await write(secret(tenant, path, { expiresAt }));
    await write(secret(a.tenant, 'e/trashed', { expiresAt: 250, trashedAt: 1, purgeAt: 9_999_999 }));
    const walk: string[] = [];
    let after: { expiresAt: number; tenant: string; path: string } | null = null;
    for (let page = 0; page < 10; page++) {
      const items: SecretRecord[] = (await a.storage.listDue({ due: 'expiry', from: 100, until: 500, after, limit: 2 }))
        .map((s) => s.record)
        .filter((r) => r.tenant === a.tenant || r.tenant === b.tenant);
      walk.push(...items.map((r) => `${r.expiresAt} ${r.tenant === first ? 1 : 2} ${r.path}`));
      const last = items.at(-1);
      if (!last || items.length < 2) break;
      after = { expiresAt: last.expiresAt!, tenant: last.tenant, path: last.path };
    }
    const rank = (tenant: string) => (tenant === first ? 1 : 2);
    expect(walk).toEqual([
      ...[[a.tenant, 'e/x'], [a.tenant, 'e/y'], [b.tenant, 'e/x']]
        .sort(([t1, p1], [t2, p2]) => rank(t1!) - rank(t2!) || (p1! < p2! ? -1 : 1))
        .map(([t, p]) => `200 ${rank(t!)} ${p}`),
      `300 ${rank(b.tenant)} e/a`,
    ]);
    expect(second).not.toBe(first);

    await put(a.storage, [{ op: 'put', kind: 'approval', record: approval(a.tenant, 'apr_late', { expiresAt: 3_000 }), expect: 'absent' }]);
    await put(b.storage, [{ op: 'put', kind: 'approval', record: approval(b.tenant, 'apr_early', { expiresAt: 2_000 }), expect: 'absent' }]);
    await put(b.storage, [{ op: 'put', kind: 'approval', record: approval(b.tenant, 'apr_done', { expiresAt: 1_000, status: 'denied' }), expect: 'absent' }]);
    const expired = (await a.storage.listDue({ due: 'approval_expiry', now: 5_000, limit: 100 }))
      .filter((s) => s.record.tenant === a.tenant || s.record.tenant === b.tenant)
      .map((s) => s.record.id);
    expect(expired).toEqual(['apr_early', 'apr_late']);
  });

  it('lists wrapped keys with their row revision, optionally only those under another key (adapter contract)', async () => {
    const { vault, storage, tenant } = ctx.setup();
    await vault.setSecret('wk/a', 'one');
    await vault.setSecret('wk/a', 'two');
    await vault.setSecret('wk/b', 'three');
    const mine: Array<{ path: string; version: number; rev: number }> = [];
    let after: { tenant: string; path: string; version: number } | null = { tenant, path: '', version: 0 };
    for (let page = 0; page < 100 && after; page++) {
      const items = await storage.listWrappedKeys({ after, limit: 2 });
      const ours = items.filter((i) => i.tenant === tenant);
      mine.push(...ours.map(({ path, version, rev }) => ({ path, version, rev })));
      const last = items.at(-1);
      after = !last || items.length < 2 || last.tenant !== tenant ? null : { tenant, path: last.path, version: last.version };
    }
    // An append leaves the replaced version's row as it was (rev 1).
    expect(mine).toEqual([
      { path: 'wk/a', version: 1, rev: 1 },
      { path: 'wk/a', version: 2, rev: 1 },
      { path: 'wk/b', version: 1, rev: 1 },
    ]);
    const [row] = await storage.getRecords([{ kind: 'version', tenant, path: 'wk/b', version: 1 }]);
    const keyId = (row!.record as { wrappedKey: { keyId: string } }).wrappedKey.keyId;
    const others = await storage.listWrappedKeys({ after: { tenant, path: '', version: 0 }, limit: 100, notKeyId: keyId });
    expect(others.filter((i) => i.tenant === tenant)).toEqual([]);
  });
}

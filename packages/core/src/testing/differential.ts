/**
 * The differential harness: a seeded generator replays the same storage-contract calls on a
 * reference adapter (the memory adapter, the oracle) and on the adapter under test. Every call must
 * end the same way — the same value, or an error of the same class (and, for a commit conflict,
 * the same failing write) — and every listing must agree as the history goes, keyset pages
 * included: secrets by prefix and filters, records by filter, maintenance's due lists, wrapped
 * keys, audit queries and the numbered trail.
 *
 *   runDifferential('postgres', async () => ({ storage, close }), { reference: () => memoryAdapter() });
 */
import { describe, expect, it } from 'vitest';
import type {
  AgentKeyRecord,
  ApprovalRecord,
  AuditEventInput,
  AuditEventType,
  RecordKey,
  SecretRecord,
  TokenRecord,
  VersionRecord,
} from '../contracts/records';
import type { AuditQuery, DueQuery, RecordWrite, StorageAdapter, Stored } from '../contracts/storage';
import { SECRET_TYPES, TIERS } from '../domain/classification';
import { conflictOf } from '../vault/records';

export interface DifferentialOptions {
  /** A fresh, empty reference adapter (the memory adapter). */
  reference: () => StorageAdapter;
  /** Seeds to replay; default [7, 1234]. */
  seeds?: number[];
  /** Generated calls per seed; default 400. */
  steps?: number;
}

export type DifferentialFactory = () =>
  | Promise<{ storage: StorageAdapter; close?: () => Promise<void> | void }>
  | { storage: StorageAdapter; close?: () => Promise<void> | void };

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
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const some = <T>(items: readonly T[]): T[] => items.filter(() => next() < 0.4);
  return { next, pick, some, chance: (p: number) => next() < p };
}

// Tenants, paths and ids whose code-unit order differs from a naive one ('-' < '/' < '0' < 'a').
const TENANTS = ['d-a', 'd-b', 'd-b-2'];
const PATHS = ['a', 'a-b', 'a/b', 'a/b/c', 'a0', 'b/x/y', 'z'];
const IDS = ['x', 'x-1', 'x/1', 'x0', 'y'];
const TIMES = [100, 200, 200, 300, 400];
const TAGS: Array<Record<string, string>> = [{}, { env: 'prod' }, { env: 'dev' }, { env: 'prod', team: 'a' }];
const ACTORS = ['app:a', 'key:k1', 'token:x'];
const KEY_IDS = ['k1', 'k2'];

/** A JSON-comparable form: bytes as hex (drivers return Buffer or Uint8Array alike). */
function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) => (v instanceof Uint8Array ? `hex:${Buffer.from(v).toString('hex')}` : v)),
  );
}

type Outcome = { value: unknown } | { error: string; conflict?: number };

async function settle(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { value: plain(await call()) };
  } catch (error) {
    const conflict = conflictOf(error);
    return { error: (error as Error).constructor.name, ...(conflict ? { conflict: conflict.index } : {}) };
  }
}

/**
 * Replay generated calls on the reference and on `factory()`'s adapter, in one `describe` block.
 * Each seed gets a fresh pair of stores.
 */
export function runDifferential(name: string, factory: DifferentialFactory, options: DifferentialOptions): void {
  const seeds = options.seeds ?? [7, 1_234];
  const steps = options.steps ?? 400;
  describe(`differential: ${name} agrees with the reference adapter`, () => {
    for (const seed of seeds) {
      it(`replays ${steps} generated calls identically (seed ${seed})`, async () => {
        const fixture = await factory();
        try {
          await replay(options.reference(), fixture.storage, seed, steps);
        } finally {
          await fixture.close?.();
        }
      }, 180_000);
    }
  });
}

async function replay(reference: StorageAdapter, subject: StorageAdapter, seed: number, steps: number): Promise<void> {
  const r = generator(seed);
  let n = 0;
  const seen = { ok: 0, conflicts: 0, reads: 0, due: 0, expiring: 0, records: 0, outcomes: new Set<string>() };

  const both = async (label: string, call: (s: StorageAdapter) => Promise<unknown>): Promise<Outcome> => {
    const expected = await settle(() => call(reference));
    expect(await settle(() => call(subject)), label).toEqual(expected);
    if ('error' in expected) seen.conflicts++;
    else seen.ok++;
    return expected;
  };
  const event = (tenant: string, path: string | null, type: AuditEventType = 'secret.update'): AuditEventInput => ({
    id: `evt_d${seed}_${String(n++).padStart(5, '0')}`,
    tenant,
    type,
    path,
    actor: r.pick(ACTORS),
    actorDescription: r.chance(0.2) ? 'a "quoted" \\ description ✓' : null,
    ip: r.chance(0.3) ? '10.0.0.1' : null,
    userAgent: null,
    timestamp: r.pick(TIMES) + (n % 3),
    details: r.chance(0.3) ? { n, flag: true, none: null } : {},
    success: r.chance(0.8),
    error: null,
    version: null,
  });
  const refRecord = async <K extends Stored['kind']>(key: RecordKey): Promise<Stored<K> | null> =>
    ((await reference.getRecords([key]))[0] ?? null) as Stored<K> | null;
  const rev = (stored: Stored | null) => (stored === null ? ('absent' as const) : r.chance(0.1) ? stored.rev + 1 : stored.rev);
  const version = (tenant: string, path: string, number: number): VersionRecord => ({
    tenant,
    path,
    version: number,
    ciphertext: new Uint8Array([number, r.pick([1, 2]), 3]),
    wrappedKey: { keyId: r.pick(KEY_IDS), ciphertext: new Uint8Array([4, number]) },
    createdAt: number,
    createdBy: 'app:t',
    retiresAt: r.chance(0.2) ? r.pick(TIMES) : null,
  });
  const rotation = () =>
    r.chance(0.5) ? null : { everySeconds: 60, gracePeriodSeconds: 5, nextAt: r.pick(TIMES), failures: r.pick([0, 1]) };

  /** Places a create succeeded at, so reads mostly find something. */
  const created: Array<[string, string]> = [];

  async function step(i: number): Promise<void> {
    const [tenant, path] = created.length > 0 && r.chance(0.4) ? r.pick(created) : [r.pick(TENANTS), r.pick(PATHS)];
    const label = `seed ${seed} step ${i}`;
    const secret = await refRecord<'secret'>({ kind: 'secret', tenant, path });
    const current = secret?.record;
    const op = r.pick([
      'create', 'create', 'append', 'stage', 'secret', 'secret', 'destroy', 'version', 'token', 'token', 'approval',
      'agent_key', 'lease', 'warning', 'read', 'read', 'read', 'read', 'events', 'get',
    ] as const);
    switch (op) {
      case 'create':
      case 'append':
      case 'stage': {
        const latest = current?.latestVersion ?? 0;
        const record: SecretRecord = {
          tenant, path, type: r.pick(SECRET_TYPES), tier: r.pick(TIERS), description: r.chance(0.5) ? 'd' : null,
          tags: r.pick(TAGS), currentVersion: 1, latestVersion: 1, createdAt: 1, createdBy: 'app:t', updatedAt: 1,
          updatedBy: 'app:t', accessedAt: null, expiresAt: r.chance(0.5) ? r.pick(TIMES) : null, trashedAt: null,
          purgeAt: null, rotation: rotation(), pendingVersion: null,
        };
        const number = op === 'create' ? 1 : latest + (r.chance(0.9) ? 1 : 2);
        const patch = r.chance(0.5) ? { tags: r.pick(TAGS), expiresAt: r.chance(0.5) ? r.pick(TIMES) : null } : {};
        const input = {
          mode: op,
          secret: record,
          version: version(tenant, path, number),
          expectedCurrentVersion: r.chance(0.9) ? (current?.currentVersion ?? 0) : 99,
          patch,
          retirePreviousAt: r.chance(0.5) ? r.pick(TIMES) : null,
          event: event(tenant, path, op === 'create' ? 'secret.create' : 'secret.update'),
        };
        const outcome = await both(label, (s) => s.writeVersion(input));
        if (op === 'create' && 'value' in outcome) created.push([tenant, path]);
        return;
      }
      case 'secret': {
        // What core's rules produce: trash, restore, metadata, rollback, promote or discard.
        if (!current) return;
        const next: SecretRecord = r.pick([
          { ...current, trashedAt: r.pick(TIMES), purgeAt: r.pick([10, 20, 30]) },
          { ...current, trashedAt: null, purgeAt: null },
          { ...current, tier: r.pick(TIERS), type: r.pick(SECRET_TYPES), tags: r.pick(TAGS), rotation: rotation() },
          { ...current, currentVersion: Math.max(1, current.currentVersion - 1) },
          { ...current, currentVersion: current.latestVersion, pendingVersion: null },
        ]);
        const input = { writes: [{ op: 'put', kind: 'secret', record: next, expect: rev(secret) }] as RecordWrite[], events: [event(tenant, path)] };
        await both(label, (s) => s.commit(input));
        return;
      }
      case 'destroy': {
        if (!current) return;
        const keys = Array.from({ length: current.latestVersion }, (_, v): RecordKey => ({ kind: 'version', tenant, path, version: v + 1 }));
        const versions = await reference.getRecords(keys);
        const writes: RecordWrite[] = [{ op: 'delete', key: { kind: 'secret', tenant, path }, expect: r.chance(0.9) ? secret!.rev : secret!.rev + 1 }];
        versions.forEach((v, k) => v && writes.push({ op: 'delete', key: keys[k]!, expect: v.rev }));
        const events = [event(tenant, path, 'secret.destroy')];
        await both(label, (s) => s.commit({ writes, events }));
        return;
      }
      case 'version': {
        if (!current) return;
        const key: RecordKey = { kind: 'version', tenant, path, version: r.pick([1, current.latestVersion]) };
        const stored = await refRecord<'version'>(key);
        if (!stored) return;
        const wrappedKey = { keyId: r.pick(KEY_IDS), ciphertext: new Uint8Array([9]) };
        const next = { ...stored.record, retiresAt: r.pick([null, ...TIMES]), wrappedKey };
        const writes: RecordWrite[] = [
          { op: 'check', key: { kind: 'secret', tenant, path }, expect: rev(secret) },
          { op: 'put', kind: 'version', record: next, expect: rev(stored) },
        ];
        await both(label, (s) => s.commit({ writes, events: [] }));
        return;
      }
      case 'token': {
        const id = r.pick(IDS);
        const stored = await refRecord<'token'>({ kind: 'token', tenant, id });
        const token: TokenRecord = stored
          ? {
              ...stored.record,
              usesRemaining: stored.record.usesRemaining === null ? null : stored.record.usesRemaining - 1,
              revokedAt: r.chance(0.15) ? r.pick(TIMES) : null,
            }
          : {
              id, tenant, hash: `h-${r.pick(IDS)}`, scope: 'secrets:read:*', approvedTier: r.pick(TIERS), description: null,
              allowedIps: null, maxUses: r.chance(0.5) ? 3 : null, usesRemaining: null, createdAt: 1,
              expiresAt: r.pick([200, 400, 1_000]),
              issuedBy: r.pick(ACTORS), parentId: r.chance(0.5) ? r.pick(IDS) : null, lineage: ['key:k1'], rootId: id,
              approvalRequestId: null, revokedAt: null,
            };
        if (!stored) token.usesRemaining = token.maxUses;
        const input = { writes: [{ op: 'put', kind: 'token', record: token, expect: rev(stored) }] as RecordWrite[], events: [event(tenant, null, 'token.issue')] };
        await both(label, (s) => s.commit(input));
        return;
      }
      case 'agent_key': {
        const id = r.pick(IDS);
        const stored = await refRecord<'agent_key'>({ kind: 'agent_key', tenant, id });
        const key: AgentKeyRecord = stored
          ? { ...stored.record, revokedAt: r.pick(TIMES) }
          : { id, tenant, hash: `h-${r.pick(IDS)}`, description: null, roles: ['admin'], createdAt: 1, createdBy: 'app:t', revokedAt: null };
        const writes: RecordWrite[] = [{ op: 'put', kind: 'agent_key', record: key, expect: rev(stored) }];
        await both(label, (s) => s.commit({ writes, events: [] }));
        return;
      }
      case 'approval': {
        const id = r.pick(IDS);
        const stored = await refRecord<'approval'>({ kind: 'approval', tenant, id });
        const approval: ApprovalRecord = stored
          ? { ...stored.record, status: r.pick(['pending', 'approved', 'denied', 'expired'] as const), decidedAt: r.pick(TIMES) }
          : {
              id, tenant, requestedBy: 'app:req', lineage: [], requesterDescription: null,
              request: { scope: 'secrets:read:a/*', ttlSeconds: 60, description: null, allowedIps: null, maxUses: null, parentId: null },
              tier: 'critical', status: 'pending', decisions: [], requiredApprovals: 1, createdAt: 1, expiresAt: r.pick(TIMES),
              decidedAt: null, claimedAt: null, tokenId: null,
            };
        const input = { writes: [{ op: 'put', kind: 'approval', record: approval, expect: rev(stored) }] as RecordWrite[], events: [event(tenant, null, 'approval.request')] };
        await both(label, (s) => s.commit(input));
        return;
      }
      case 'lease':
      case 'warning': {
        const key: RecordKey = { kind: op === 'lease' ? 'lease' : 'expiry_warning', tenant, id: `${op}/${path}` };
        const stored = await refRecord(key);
        const record = op === 'lease'
          ? { tenant, id: `${op}/${path}`, owner: r.pick(['i-1', 'i-2']), expiresAt: r.pick(TIMES) }
          : { tenant, id: `${op}/${path}`, path, expiresAt: 1, kind: '7d' as const, sentAt: 1 };
        const write: RecordWrite = stored && r.chance(0.4)
          ? { op: 'delete', key, expect: stored.rev }
          : ({ op: 'put', kind: key.kind, record, expect: rev(stored) } as RecordWrite);
        const events = op === 'warning' ? [event(tenant, path, 'secret.expiring')] : [];
        await both(label, (s) => s.commit({ writes: [write], events }));
        return;
      }
      case 'read': {
        const token = r.chance(0.5) ? { id: r.pick(IDS) } : null;
        const input = {
          tenant, path, version: r.chance(0.7) ? null : r.pick([1, 2, 3]), now: r.pick([50, 100, 150, 250, 1_000]),
          maxTier: r.chance(0.5) ? null : r.pick(TIERS), token, event: event(tenant, path, 'secret.read'),
        };
        const read = await both(label, async (s) => {
          const { seq, ...result } = await s.readSecret(input);
          // Reporting the event's seq is optional; a seq reported MUST be the one the event got.
          if (seq !== undefined)
            expect((await s.readAudit({ tenant, afterSeq: seq - 1, limit: 1 }))[0]?.id, `${label} (seq)`).toBe(input.event.id);
          return result;
        });
        if ('value' in read) seen.outcomes.add((read.value as { outcome: string }).outcome);
        if (token) await both(`${label} (token after the read)`, (s) => s.getRecords([{ kind: 'token', tenant, id: token.id }]));
        seen.reads++;
        return;
      }
      case 'events': {
        const events = Array.from({ length: r.pick([1, 2, 3]) }, () => event(tenant, r.chance(0.8) ? path : null));
        await both(label, (s) => s.commit({ writes: [], events }));
        return;
      }
      case 'get': {
        const keys: RecordKey[] = [
          { kind: 'secret', tenant, path },
          { kind: 'version', tenant, path, version: r.pick([1, 2]) },
          { kind: 'token', tenant, id: r.pick(IDS) },
          { kind: 'approval', tenant: r.pick(TENANTS), id: r.pick(IDS) },
        ];
        const chosen = r.some(keys);
        const hash = `h-${r.pick(IDS)}`;
        await both(label, (s) => s.getRecords(chosen));
        await both(label, (s) => s.findCredential(hash));
      }
    }
  }

  async function compareListings(label: string, walks: number): Promise<void> {
    const check = (what: string, call: (s: StorageAdapter) => Promise<unknown>) => both(`${label}: ${what}`, call);
    for (let w = 0; w < walks; w++) {
      const tenant = r.pick(TENANTS);
      // Secrets: every page of a generated query.
      const query = {
        tenant, namespace: r.pick(['', 'a', 'a/b', 'b', 'zz']), afterPath: null as string | null, limit: r.pick([1, 2, 5, 100]),
        trashed: r.chance(0.3),
        ...(r.chance(0.3) ? { tiers: r.some(TIERS) } : {}),
        ...(r.chance(0.3) ? { types: r.some(SECRET_TYPES) } : {}),
        ...(r.chance(0.3) ? { tags: r.pick(TAGS) } : {}),
      };
      for (let page = 0; page < 20; page++) {
        const expected = (await check(`listSecrets ${JSON.stringify(query)}`, (s) => s.listSecrets(query))) as { value?: { items: SecretRecord[] } };
        const last = expected.value?.items.at(-1);
        if (!last || expected.value!.items.length < query.limit) break;
        query.afterPath = last.path;
      }
      // Records of a kind, filtered, every page.
      const kind = r.pick(['token', 'approval', 'agent_key'] as const);
      const where =
        kind === 'token'
          ? r.pick([{}, { parentId: r.pick(IDS) }, { issuedBy: r.pick(ACTORS) }])
          : kind === 'approval'
            ? r.pick([{}, { status: r.pick(['pending', 'approved'] as const) }])
            : {};
      let afterId: string | null = null;
      for (let page = 0; page < 20; page++) {
        const limit = r.pick([1, 2, 100]);
        const q = { kind, tenant, afterId, limit, where } as Parameters<StorageAdapter['listRecords']>[0];
        const expected = (await check(`listRecords ${JSON.stringify(q)}`, (s) => s.listRecords(q))) as { value?: Stored[] };
        seen.records += expected.value?.length ?? 0;
        const last = expected.value?.at(-1);
        if (!last || expected.value!.length < limit) break;
        afterId = (last.record as { id: string }).id;
      }
      // The audit trail: by seq, and generated queries page by page.
      const trail = { tenant, afterSeq: r.pick([0, 1, 5]), limit: r.pick([3, 1_000]) };
      await check('readAudit', (s) => s.readAudit(trail));
      const audit: AuditQuery = {
        tenant, after: null, order: r.pick(['asc', 'desc'] as const), limit: r.pick([1, 3, 50]),
        ...(r.chance(0.3) ? { namespace: r.pick(['a', 'a/b', 'b']) } : {}), ...(r.chance(0.2) ? { path: r.pick(PATHS) } : {}),
        ...(r.chance(0.3) ? { actor: r.pick(ACTORS) } : {}), ...(r.chance(0.3) ? { types: r.some(['secret.read', 'secret.update', 'token.issue'] as const) } : {}),
        ...(r.chance(0.3) ? { since: r.pick(TIMES) } : {}), ...(r.chance(0.3) ? { until: r.pick(TIMES) } : {}),
        ...(r.chance(0.3) ? { success: r.chance(0.5) } : {}),
      };
      for (let page = 0; page < 40; page++) {
        const expected = (await check(`queryAudit ${JSON.stringify(audit)}`, (s) => s.queryAudit(audit))) as { value?: Array<{ timestamp: number; id: string }> };
        const last = expected.value?.at(-1);
        if (!last || expected.value!.length < audit.limit) break;
        audit.after = { timestamp: last.timestamp, id: last.id };
      }
    }
    // Maintenance listings: ties in their order key may come in any order, so compare the keys
    // page by page and the whole sets at a large limit; expiry is a total order, paged exactly.
    const place = (stored: Stored) => JSON.stringify(recordPlace(stored));
    for (const now of [0, 150, 300, 1_000]) {
      for (const due of ['rotation', 'purge', 'approval_expiry'] as const) {
        for (const limit of [2, 10_000]) {
          const query = { due, now: due === 'purge' ? now / 10 : now, limit } as DueQuery;
          const [expected, actual] = await Promise.all([reference.listDue(query), subject.listDue(query)]);
          expect(actual.map(dueRank), `${label}: listDue ${JSON.stringify(query)}`).toEqual(expected.map(dueRank));
          if (limit > 2) {
            expect(plain(actual.sort(byPlace(place)))).toEqual(plain(expected.sort(byPlace(place))));
            seen.due += expected.length;
          }
        }
      }
    }
    for (let walk = 0; walk < 4; walk++) {
      const from = r.pick([0, 100, 150, 200]);
      const query: Extract<DueQuery, { due: 'expiry' }> = { due: 'expiry', from, until: from + r.pick([0, 100, 300]), after: null, limit: r.pick([1, 3, 100]) };
      for (let page = 0; page < 40; page++) {
        const expected = (await check(`listDue ${JSON.stringify(query)}`, (s) => s.listDue(query))) as { value?: SecretRecord[] };
        const items = (expected.value ?? []) as unknown as Stored<'secret'>[];
        seen.expiring += items.length;
        const last = items.at(-1)?.record;
        if (!last || items.length < query.limit) break;
        query.after = { expiresAt: last.expiresAt!, tenant: last.tenant, path: last.path };
      }
    }
    // Wrapped keys of every tenant, with and without the key-id filter, every page.
    for (const notKeyId of [undefined, 'k1']) {
      let after: { tenant: string; path: string; version: number } | null = null;
      for (let page = 0; page < 100; page++) {
        const query = { after, limit: 3, ...(notKeyId ? { notKeyId } : {}) };
        const expected = (await check(`listWrappedKeys ${JSON.stringify(query)}`, (s) => s.listWrappedKeys(query))) as { value?: Array<{ tenant: string; path: string; version: number }> };
        const last = expected.value?.at(-1);
        if (!last || expected.value!.length < 3) break;
        after = { tenant: last.tenant, path: last.path, version: last.version };
      }
    }
  }

  for (let i = 0; i < steps; i++) {
    await step(i);
    // As the history goes, before later writes can hide a wrong intermediate state.
    if (i % 100 === 99) await compareListings(`after step ${i}`, 3);
  }
  await compareListings('at the end', 15);
  // The generated history reaches every case.
  expect(seen.ok).toBeGreaterThan(steps / 4);
  expect(seen.conflicts).toBeGreaterThan(10);
  expect(seen.reads).toBeGreaterThan(10);
  for (const outcome of ['ok', 'token_revoked', 'token_exhausted', 'not_found', 'tier_exceeded', 'expired'])
    expect(seen.outcomes.has(outcome), `no read ended ${outcome}`).toBe(true);
  expect(seen.due).toBeGreaterThan(0);
  expect(seen.expiring).toBeGreaterThan(0);
  expect(seen.records).toBeGreaterThan(0);
}

function recordPlace(stored: Stored): [string, string] {
  const record = stored.record as { tenant: string; path?: string; id?: string };
  return [record.tenant, record.path ?? record.id ?? ''];
}

function byPlace(place: (s: Stored) => string) {
  return (a: Stored, b: Stored) => (place(a) < place(b) ? -1 : place(a) > place(b) ? 1 : 0);
}

/** What a due listing is ordered by. */
function dueRank(stored: Stored): number {
  if (stored.kind === 'approval') return (stored.record as ApprovalRecord).expiresAt;
  const secret = stored.record as SecretRecord;
  if (secret.trashedAt !== null) return secret.purgeAt!;
  return secret.pendingVersion !== null ? -1 : secret.rotation!.nextAt;
}

/**
 * A model-based test of token trees, approvals and revocation (fast-check commands): random short
 * sequences of mint (root or child), use, revoke a token or an agent key, request approval,
 * decide, claim, let time pass and run maintenance — some steps run two at a time — against a
 * small reference model. Every outcome must match the model (two concurrent steps: one of their
 * two orders), and after every step each token's stored budget and revocation and each request's
 * status, claim and decisions must equal the model's. Runs per adapter: `AGENTVAULT_MODEL_RUNS`,
 * else the suite's `modelRuns` (default 10,000 under CI, 300 otherwise), on `modelLanes` lanes; a
 * failure prints the seed and path to replay, and replayed failures stay in `REGRESSIONS` below.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { ApprovalRecord, TokenRecord } from '../../contracts/records';
import type { Stored } from '../../contracts/storage';
import { effectiveStatus } from '../../domain/approvals';
import type { Principal } from '../../domain/principals';
import {
  AgentVaultAuthError,
  AgentVaultConflictError,
  AgentVaultError,
  AgentVaultPermissionError,
  AgentVaultValidationError,
} from '../../errors';
import type { Vault } from '../../vault/vault';
import { type Harness, type SuiteContext, uniqueTenant } from './context';

// ── The model ─────────────────────────────────────────────────────────────────

type Minter = 'K0' | 'K1' | 'app';
type KeyName = 'K0' | 'K1';
type ScopeKind = 'wide' | 'narrow' | 'crit';
type Status = 'pending' | 'approved' | 'denied' | 'expired';
interface Handle {
  id: string;
  value: string;
}

interface MToken {
  handle: Handle;
  parent: number | null;
  scope: ScopeKind;
  maxUses: number | null;
  remaining: number | null;
  expiresAt: number;
  revoked: boolean;
  /** Symbolic lineage: `T<i>` for token i, then the root's minter. */
  lineage: string[];
}

interface MApproval {
  id: string;
  requester: { token: number } | { key: KeyName };
  /** Who may never decide it: the requester and its lineage. */
  chain: string[];
  maxUses: number | null;
  ttlMs: number;
  status: Status;
  deciders: string[];
  approvals: number;
  claimed: boolean;
  expiresAt: number;
}

interface Model {
  now: number;
  quorum: number;
  /**
   * Whether `maintain` steps run maintenance in this sequence. Maintenance walks the due listings of
   * the whole store, which every sequence's tenant adds to; running it in one sequence in ten keeps
   * a 10,000-sequence run linear on adapters whose listings scan.
   */
  maintenance: boolean;
  revokedKeys: KeyName[];
  tokens: MToken[];
  approvals: MApproval[];
}

const SCOPES: Record<ScopeKind, string> = {
  wide: 'secrets:read:m/*',
  narrow: 'secrets:read:m/a/*',
  crit: 'secrets:read:m/c/*',
};
const READ_PATH: Record<ScopeKind, string> = { wide: 'm/a/x', narrow: 'm/a/x', crit: 'm/c/x' };
const APPROVAL_TTL_SECONDS = 600;
type Decider = 'K0' | 'K1' | 'alice' | 'bob';

const tokenName = (i: number) => `T${i}`;
const live = (t: MToken, now: number) => !t.revoked && t.expiresAt > now;
const statusOf = (a: MApproval, now: number): Status => (a.status === 'pending' && a.expiresAt <= now ? 'expired' : a.status);

/** Refusals a carve from `parent` meets (the same classes the vault answers). */
function carve(m: Model, parent: MToken, maxUses: number | null): 'ok' | '401' | '422' {
  if (!live(parent, m.now) || parent.remaining === 0) return '401';
  if (parent.remaining !== null && (maxUses === null || maxUses > parent.remaining)) return '422';
  return 'ok';
}

function addToken(
  m: Model,
  handle: Handle,
  fields: { parent: number | null; scope: ScopeKind; maxUses: number | null; ttlMs: number; minter: Minter },
): void {
  const parent = fields.parent === null ? null : m.tokens[fields.parent]!;
  if (parent && parent.remaining !== null) parent.remaining -= fields.maxUses!;
  m.tokens.push({
    handle,
    parent: fields.parent,
    scope: fields.scope,
    maxUses: fields.maxUses,
    remaining: fields.maxUses,
    expiresAt: parent ? Math.min(m.now + fields.ttlMs, parent.expiresAt) : m.now + fields.ttlMs,
    revoked: false,
    lineage: parent ? [tokenName(fields.parent!), ...parent.lineage] : [fields.minter],
  });
}

function revokeSubtree(m: Model, root: number): void {
  const stack = [root];
  for (let i = stack.pop(); i !== undefined; i = stack.pop()) {
    m.tokens[i]!.revoked = true;
    m.tokens.forEach((t, j) => {
      if (t.parent === i) stack.push(j);
    });
  }
}

// ── Operations ────────────────────────────────────────────────────────────────

type Op =
  | { op: 'mintRoot'; by: Minter; maxUses: number | null; ttl: number; via: number }
  | { op: 'mintChild'; parent: number; maxUses: number | null; ttl: number; via: number }
  | { op: 'use'; token: number; via: number }
  | { op: 'revoke'; token: number; via: number }
  | { op: 'revokeKey'; key: KeyName; via: number }
  | { op: 'request'; from: number | KeyName; maxUses: number | null; ttl: number; via: number }
  | { op: 'decide'; approval: number; who: Decider; approve: boolean; via: number }
  | { op: 'claim'; approval: number; via: number }
  | { op: 'maintain'; via: number }
  | { op: 'advance'; seconds: number };

/** What a step did: an outcome class, and what it created. */
interface Outcome {
  obs: string;
  token?: Handle;
  approvalId?: string;
}

const wideTokens = (m: Model) => m.tokens.flatMap((t, i) => (t.scope === 'wide' ? [i] : []));

/**
 * Indices are drawn unbounded and taken modulo what exists before the step (-1: nothing to pick),
 * so two steps run together name the same targets whichever order the model tries.
 */
function resolve(m: Model, op: Op): Op {
  const pick = (n: number, count: number) => (count === 0 ? -1 : n % count);
  switch (op.op) {
    case 'mintChild':
      return { ...op, parent: pick(op.parent, m.tokens.length) };
    case 'use':
    case 'revoke':
      return { ...op, token: pick(op.token, m.tokens.length) };
    case 'decide':
    case 'claim':
      return { ...op, approval: pick(op.approval, m.approvals.length) };
    case 'request': {
      if (typeof op.from === 'string') return op;
      const wide = wideTokens(m);
      return { ...op, from: wide[op.from % wide.length]! };
    }
    default:
      return op;
  }
}
const pick = (i: number) => (i < 0 ? null : i);

/**
 * Apply `op` with the vault's `out` to the model; false if the model would not have produced it.
 * Mutates `m`, so a caller trying orders works on clones.
 */
function step(m: Model, op: Op, out: Outcome): boolean {
  const seen = `${op.op}:${out.obs}`;
  tally[seen] = (tally[seen] ?? 0) + 1;
  const expect = (...accepted: string[]) => accepted.includes(out.obs);
  switch (op.op) {
    case 'advance':
      m.now += op.seconds * 1000;
      return expect('ok');
    case 'maintain':
      if (!m.maintenance) return expect('skip');
      for (const a of m.approvals) a.status = statusOf(a, m.now);
      return expect('ok');
    case 'mintRoot': {
      if (op.by !== 'app' && m.revokedKeys.includes(op.by)) return expect('401');
      if (!expect('ok') || !out.token) return false;
      addToken(m, out.token, { parent: null, scope: 'narrow', maxUses: op.maxUses, ttlMs: op.ttl * 1000, minter: op.by });
      return true;
    }
    case 'mintChild': {
      const i = pick(op.parent);
      if (i === null) return expect('skip');
      const parent = m.tokens[i]!;
      const result = carve(m, parent, op.maxUses);
      if (result !== 'ok') return expect(result);
      if (!expect('ok') || !out.token) return false;
      const scope = parent.scope === 'crit' ? 'crit' : 'narrow';
      addToken(m, out.token, { parent: i, scope, maxUses: op.maxUses, ttlMs: op.ttl * 1000, minter: 'app' });
      return true;
    }
    case 'use': {
      const i = pick(op.token);
      if (i === null) return expect('skip');
      const t = m.tokens[i]!;
      if (!live(t, m.now) || t.remaining === 0) return expect('401');
      if (t.remaining !== null) t.remaining--;
      return expect('ok');
    }
    case 'revoke': {
      const i = pick(op.token);
      if (i === null) return expect('skip');
      revokeSubtree(m, i);
      return expect('ok');
    }
    case 'revokeKey': {
      if (!m.revokedKeys.includes(op.key)) m.revokedKeys.push(op.key);
      m.tokens.forEach((t, i) => {
        if (t.lineage.at(-1) === op.key) revokeSubtree(m, i);
      });
      return expect('ok');
    }
    case 'request': {
      let chain: string[];
      let requester: MApproval['requester'];
      if (typeof op.from === 'string') {
        if (m.revokedKeys.includes(op.from)) return expect('401');
        chain = [op.from];
        requester = { key: op.from };
      } else {
        const i = op.from;
        const parent = m.tokens[i]!;
        const result = carve(m, parent, op.maxUses);
        if (result !== 'ok') return expect(result);
        chain = [tokenName(i), ...parent.lineage];
        requester = { token: i };
      }
      if (!expect('pending') || !out.approvalId) return false;
      m.approvals.push({
        id: out.approvalId,
        requester,
        chain,
        maxUses: op.maxUses,
        ttlMs: op.ttl * 1000,
        status: 'pending',
        deciders: [],
        approvals: 0,
        claimed: false,
        expiresAt: m.now + APPROVAL_TTL_SECONDS * 1000,
      });
      return true;
    }
    case 'decide': {
      const j = pick(op.approval);
      if (j === null) return expect('skip');
      const a = m.approvals[j]!;
      if ((op.who === 'K0' || op.who === 'K1') && m.revokedKeys.includes(op.who)) return expect('401');
      if (a.chain.includes(op.who)) return expect('403');
      if (statusOf(a, m.now) !== 'pending' || a.deciders.includes(op.who)) return expect('409');
      a.deciders.push(op.who);
      if (!op.approve) a.status = 'denied';
      else if (++a.approvals >= m.quorum) a.status = 'approved';
      return expect('ok');
    }
    case 'claim': {
      const j = pick(op.approval);
      if (j === null) return expect('skip');
      const a = m.approvals[j]!;
      const claimable = statusOf(a, m.now) === 'approved' && !a.claimed;
      if ('key' in a.requester) {
        if (m.revokedKeys.includes(a.requester.key)) return expect('401');
      } else {
        const requester = m.tokens[a.requester.token]!;
        if (requester.expiresAt <= m.now) return expect('401');
        // A revoked token's cached record still authenticates on another instance (only immutable
        // fields are trusted from the cache): it may look at its request, but never mint.
        if (requester.revoked && !claimable) return expect('401', 'none');
      }
      if (!claimable) return expect('none');
      if ('token' in a.requester) {
        const result = carve(m, m.tokens[a.requester.token]!, a.maxUses);
        if (result !== 'ok') return expect(result);
      }
      if (!expect('minted') || !out.token) return false;
      a.claimed = true;
      const parent = 'token' in a.requester ? a.requester.token : null;
      const minter = 'key' in a.requester ? a.requester.key : 'app';
      addToken(m, out.token, { parent, scope: 'crit', maxUses: a.maxUses, ttlMs: a.ttlMs, minter });
      return true;
    }
  }
}

// ── The real side ─────────────────────────────────────────────────────────────

/** Two vault instances on one storage (quorum-specific), shared by every sequence; each sequence has its own tenant. */
interface Instances {
  h: Harness;
  vaults: Vault[];
}

interface Real extends Instances {
  tenant: string;
  keys: Record<KeyName, Handle>;
}

function classify(error: unknown): string {
  if (error instanceof AgentVaultAuthError) return '401';
  if (error instanceof AgentVaultPermissionError) return '403';
  if (error instanceof AgentVaultConflictError) return '409';
  if (error instanceof AgentVaultValidationError) return '422';
  if (error instanceof AgentVaultError) return `${error.statusCode}:${error.message}`;
  throw error;
}

type Credentials = { token: string } | { principal: Principal } | { actor: string; tenant: string };

function credentials(r: Real, who: Minter | Decider): Credentials {
  if (who === 'K0' || who === 'K1') return { token: r.keys[who].value };
  if (who === 'app') return { actor: 'model', tenant: r.tenant };
  return { principal: { kind: 'user', id: who, tenant: r.tenant, roles: ['approver'] } };
}

async function perform(m: Model, r: Real, op: Op): Promise<Outcome> {
  if (op.op === 'advance') {
    r.h.clock.advanceSeconds(op.seconds);
    return { obs: 'ok' };
  }
  const vault = r.vaults[op.via % r.vaults.length]!;
  const issued = (t: { id: string | null; value: string | null; approvalRequestId: string | null }): Outcome =>
    t.value ? { obs: 'ok', token: { id: t.id!, value: t.value } } : { obs: 'pending', approvalId: t.approvalRequestId! };
  try {
    switch (op.op) {
      case 'maintain':
        if (!m.maintenance) return { obs: 'skip' };
        await vault.runMaintenance();
        return { obs: 'ok' };
      case 'mintRoot':
        return issued(
          await vault.requestToken(
            { scope: SCOPES.narrow, maxUses: op.maxUses, ttlSeconds: op.ttl },
            credentials(r, op.by),
          ),
        );
      case 'mintChild': {
        const i = pick(op.parent);
        if (i === null) return { obs: 'skip' };
        const parent = m.tokens[i]!;
        const scope = parent.scope === 'crit' ? SCOPES.crit : SCOPES.narrow;
        return issued(
          await vault.requestToken({ scope, maxUses: op.maxUses, ttlSeconds: op.ttl }, { token: parent.handle.value }),
        );
      }
      case 'use': {
        const i = pick(op.token);
        if (i === null) return { obs: 'skip' };
        const t = m.tokens[i]!;
        await vault.getSecret(READ_PATH[t.scope], { token: t.handle.value });
        return { obs: 'ok' };
      }
      case 'revoke': {
        const i = pick(op.token);
        if (i === null) return { obs: 'skip' };
        await vault.revokeToken(m.tokens[i]!.handle.id, { tenant: r.tenant });
        return { obs: 'ok' };
      }
      case 'revokeKey':
        await vault.revokeAgentKey(r.keys[op.key].id, { tenant: r.tenant });
        return { obs: 'ok' };
      case 'request': {
        const from = { token: typeof op.from === 'string' ? r.keys[op.from].value : m.tokens[op.from]!.handle.value };
        return issued(await vault.requestToken({ scope: SCOPES.crit, maxUses: op.maxUses, ttlSeconds: op.ttl }, from));
      }
      case 'decide': {
        const j = pick(op.approval);
        if (j === null) return { obs: 'skip' };
        const id = m.approvals[j]!.id;
        const who = credentials(r, op.who);
        await (op.approve ? vault.approve(id, {}, who) : vault.deny(id, {}, who));
        return { obs: 'ok' };
      }
      case 'claim': {
        const j = pick(op.approval);
        if (j === null) return { obs: 'skip' };
        const a = m.approvals[j]!;
        const who = 'key' in a.requester ? r.keys[a.requester.key].value : m.tokens[a.requester.token]!.handle.value;
        const seen = await vault.getApproval(a.id, { token: who });
        return seen.token ? { obs: 'minted', token: { id: seen.token.id!, value: seen.token.value! } } : { obs: 'none' };
      }
    }
  } catch (error) {
    return { obs: classify(error) };
  }
}

/** Every stored token and request must be as the model says. */
async function compareState(m: Model, r: Real): Promise<void> {
  const { tenant } = r;
  const { storage } = r.h;
  const stored = await storage.getRecords([
    ...m.tokens.map((t) => ({ kind: 'token' as const, tenant, id: t.handle.id })),
    ...m.approvals.map((a) => ({ kind: 'approval' as const, tenant, id: a.id })),
  ]);
  const actual = {
    tokens: stored.slice(0, m.tokens.length).map((s) => {
      const t = (s as Stored<'token'>).record as TokenRecord;
      return { revoked: t.revokedAt !== null, remaining: t.usesRemaining, expiresAt: t.expiresAt };
    }),
    approvals: stored.slice(m.tokens.length).map((s) => {
      const a = (s as Stored<'approval'>).record as ApprovalRecord;
      return { status: effectiveStatus(a, m.now), claimed: a.claimedAt !== null, decisions: a.decisions.length };
    }),
  };
  const expected = {
    tokens: m.tokens.map((t) => ({ revoked: t.revoked, remaining: t.remaining, expiresAt: t.expiresAt })),
    approvals: m.approvals.map((a) => ({ status: statusOf(a, m.now), claimed: a.claimed, decisions: a.deciders.length })),
  };
  expect(actual).toEqual(expected);
}

function describeOp(op: Op): string {
  const { op: name, ...args } = op;
  return `${name}(${JSON.stringify(args)})`;
}

class Step implements fc.AsyncCommand<Model, Real> {
  constructor(readonly op: Op) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const op = resolve(m, this.op);
    const out = await perform(m, r, op);
    const next = structuredClone(m);
    if (!step(next, op, out)) throw new Error(`${describeOp(op)} answered ${JSON.stringify(out.obs)}; the model disagrees`);
    Object.assign(m, next);
    await compareState(m, r);
  }

  toString = () => describeOp(this.op);
}

/** Two steps at once: the outcomes must be those of one of the two orders. */
class Together implements fc.AsyncCommand<Model, Real> {
  constructor(readonly a: Op, readonly b: Op) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const [a, b] = [resolve(m, this.a), resolve(m, this.b)];
    const [outA, outB] = await Promise.all([perform(m, r, a), perform(m, r, b)]);
    const ab = structuredClone(m);
    const ba = structuredClone(m);
    const next = step(ab, a, outA) && step(ab, b, outB) ? ab : step(ba, b, outB) && step(ba, a, outA) ? ba : null;
    if (!next) {
      const seen = JSON.stringify([outA.obs, outB.obs]);
      throw new Error(`together(${describeOp(a)}, ${describeOp(b)}) answered ${seen}; no order of the two gives that in the model`);
    }
    Object.assign(m, next);
    await compareState(m, r);
  }

  toString = () => `together(${describeOp(this.a)}, ${describeOp(this.b)})`;
}

// ── Arbitraries ───────────────────────────────────────────────────────────────

const uses = fc.option(fc.integer({ min: 1, max: 6 }), { nil: null, freq: 3 });
const ttl = fc.constantFrom(60, 300, 3600);
const via = fc.integer({ min: 0, max: 1 });
const index = fc.nat({ max: 40 });
const keyName = fc.constantFrom<KeyName>('K0', 'K1');

const concurrentOps: fc.Arbitrary<Op>[] = [
  fc.record({ op: fc.constant('mintRoot' as const), by: fc.constantFrom<Minter>('K0', 'K1', 'app'), maxUses: uses, ttl, via }),
  fc.record({ op: fc.constant('mintChild' as const), parent: index, maxUses: uses, ttl, via }),
  fc.record({ op: fc.constant('use' as const), token: index, via }),
  fc.record({ op: fc.constant('revoke' as const), token: index, via }),
  fc.record({ op: fc.constant('request' as const), from: fc.oneof(index, keyName), maxUses: uses, ttl, via }),
  fc.record({
    op: fc.constant('decide' as const),
    approval: index,
    who: fc.constantFrom<Decider>('K0', 'K1', 'alice', 'bob', 'alice', 'bob'),
    approve: fc.constantFrom(true, true, true, false),
    via,
  }),
  fc.record({ op: fc.constant('claim' as const), approval: index, via }),
];
const rareOps: fc.Arbitrary<Op>[] = [
  fc.record({ op: fc.constant('revokeKey' as const), key: keyName, via }),
  fc.record({ op: fc.constant('maintain' as const), via }),
];
const anyConcurrent = fc.oneof(...concurrentOps, ...rareOps);

/** How often each kind of step is drawn: enough requests and decisions that claims happen. */
const WEIGHTS: Record<Op['op'], number> = {
  mintRoot: 1,
  mintChild: 2,
  use: 2,
  revoke: 1,
  revokeKey: 1,
  request: 2,
  decide: 3,
  claim: 3,
  maintain: 1,
  advance: 1,
};
const weighted = (ops: fc.Arbitrary<Op>[]) =>
  ops.flatMap((arb) => {
    const sample = fc.sample(arb, { numRuns: 1, seed: 0 })[0]!;
    return Array.from({ length: WEIGHTS[sample.op] }, () => arb.map((o) => new Step(o)));
  });

const commands = fc.commands(
  [
    ...weighted([...concurrentOps, ...rareOps]),
    fc.integer({ min: 1, max: 400 }).map((seconds) => new Step({ op: 'advance', seconds })),
    fc.tuple(anyConcurrent, anyConcurrent).map(([a, b]) => new Together(a, b)),
    fc.tuple(anyConcurrent, anyConcurrent).map(([a, b]) => new Together(a, b)),
  ],
  { maxCommands: 10 },
);

/** The world every sequence starts from: two approver keys and five wide tokens, minted before a critical secret exists. */
/** Worlds; `maintenance` pins whether its sequences run maintenance (else one in ten does). */
const worldsWith = (maintenance?: boolean) =>
  fc.record({
    quorum: fc.constantFrom(1, 1, 2),
    maintenance: maintenance === undefined ? fc.integer({ min: 0, max: 9 }).map((n) => n === 0) : fc.constant(maintenance),
    rootUses: fc.tuple(uses, uses, uses),
    childUses: fc.tuple(uses, uses),
  });
const worlds = worldsWith();
type World = typeof worlds extends fc.Arbitrary<infer W> ? W : never;

async function setupWorld(instances: Instances, world: World): Promise<{ model: Model; real: Real }> {
  const tenant = uniqueTenant();
  const { vault } = instances.h;
  const asApp = { tenant };
  const [k0, k1] = await Promise.all([
    vault.createAgentKey({ roles: ['admin', 'approver'] }, asApp),
    vault.createAgentKey({ roles: ['admin', 'approver'] }, asApp),
  ]);
  const real: Real = { ...instances, tenant, keys: { K0: k0, K1: k1 } };
  const model: Model = {
    now: instances.h.clock.now(),
    quorum: world.quorum,
    maintenance: world.maintenance,
    revokedKeys: [],
    tokens: [],
    approvals: [],
  };
  await vault.setSecret('m/a/x', 'standard', asApp);
  const mint = async (by: Credentials, maxUses: number | null, parent: number | null, minter: Minter) => {
    const t = await vault.requestToken({ scope: SCOPES.wide, maxUses, ttlSeconds: 3600 }, by);
    addToken(model, { id: t.id!, value: t.value! }, { parent, scope: 'wide', maxUses, ttlMs: 3_600_000, minter });
  };
  const minters: Minter[] = ['K0', 'K1', 'app'];
  for (const [i, by] of minters.entries()) await mint(credentials(real, by), world.rootUses[i]!, null, by);
  // W3 under W0, W4 under W3; a limited parent gives half of what it has left (at least one).
  for (const [i, parent] of [0, 3].entries()) {
    const left = model.tokens[parent]?.remaining;
    if (left === undefined || left === 0) continue;
    const maxUses = left === null ? world.childUses[i]! : Math.max(1, Math.floor(left / 2));
    await mint({ token: model.tokens[parent]!.handle.value }, maxUses, parent, 'app');
  }
  await vault.setSecret('m/c/x', 'critical', { tier: 'critical', ...asApp });
  // Two requests already open (by the app-minted root and by K1), so decisions and claims have targets early.
  const w2 = model.tokens[2]!;
  for (const from of [2, 'K1'] as const) {
    const maxUses = typeof from === 'number' && w2.remaining !== null ? Math.min(1, w2.remaining) : null;
    if (maxUses === 0) continue;
    const op: Op = { op: 'request', from, maxUses, ttl: 300, via: 0 };
    const out = await perform(model, real, op);
    if (!step(model, op, out)) throw new Error(`setup: ${describeOp(op)} answered ${out.obs}`);
  }
  return { model, real };
}

/** Seeds (and paths) of past failures, replayed on every run. */
/** How often each step ended each way, printed after a run: shows the sequences reach every outcome. */
const tally: Record<string, number> = {};

const REGRESSIONS: Array<{ seed: number; path: string; why: string }> = [];

function runsFor(ctx: SuiteContext): number {
  const configured = Number(process.env['AGENTVAULT_MODEL_RUNS']);
  if (Number.isSafeInteger(configured) && configured > 0) return configured;
  if (ctx.options.modelRuns !== undefined) return ctx.options.modelRuns;
  return process.env['CI'] === 'true' ? 10_000 : 300;
}

export function tokenModelTests(ctx: SuiteContext): void {
  const runs = runsFor(ctx);
  const lanes = Math.max(1, Math.min(runs, ctx.options.modelLanes ?? 1));
  /** One lane's property: its own harnesses (tenant, clock, two vaults) per quorum. */
  const laneProperty = (arbitrary = worlds) => {
    const byQuorum = new Map<number, Instances>();
    const instances = (quorum: number): Instances => {
      let found = byQuorum.get(quorum);
      if (!found) {
        const h = ctx.setup({
          approvals: { requiredApprovals: { critical: quorum }, expiresInSeconds: APPROVAL_TTL_SECONDS },
        });
        found = { h, vaults: [h.vault, h.another()] };
        byQuorum.set(quorum, found);
      }
      return found;
    };
    return fc.asyncProperty(arbitrary, commands, async (world, cmds) => {
      const { model, real } = await setupWorld(instances(world.quorum), world);
      await fc.asyncModelRun(() => ({ model, real }), cmds);
    });
  };
  const property = laneProperty();

  it(`matches the reference model of token trees, approvals and revocation (${runs} sequences${lanes > 1 ? `, ${lanes} lanes` : ''})`, async () => {
    const started = performance.now();
    if (lanes === 1) await fc.assert(property, { numRuns: runs, verbose: 1 });
    else {
      // Maintenance is store-wide: a lane running it at its own clock would expire the others'
      // requests, and each pass walks every tenant. So one lane first runs, alone, the tenth of the
      // sequences that maintain (while the store is small); then the lanes run the rest at once,
      // each in its own tenant.
      const withMaintenance = Math.max(1, Math.round(runs / 10));
      const without = runs - withMaintenance;
      await fc.assert(laneProperty(worldsWith(true)), { numRuns: withMaintenance, verbose: 1 });
      await Promise.all(
        Array.from({ length: lanes }, (_, lane) =>
          fc.assert(laneProperty(worldsWith(false)), {
            numRuns: Math.floor(without / lanes) + (lane < without % lanes ? 1 : 0),
            verbose: 1,
          })),
      );
    }
    const seconds = (performance.now() - started) / 1000;
    const outcomes = Object.entries(tally).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, n]) => `${k}=${n}`);
    console.info(`token model: ${runs} sequences in ${seconds.toFixed(1)} s on ${lanes} lane(s); outcomes ${outcomes.join(' ')}`);
  }, 30 * 60_000);

  for (const regression of REGRESSIONS) {
    it(`replays model failure seed ${regression.seed} (${regression.why})`, async () => {
      await fc.assert(property, { seed: regression.seed, path: regression.path, endOnFailure: true });
    });
  }
}

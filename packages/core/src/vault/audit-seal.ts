/**
 * Sealing the audit trail with a key storage never sees (the CloudTrail digest model).
 *
 * Per tenant an `audit_seal` record holds a random 32-byte seal key wrapped by the vault's
 * KeyWrapper (context `{ tenant, purpose: 'audit-seal' }`) and the head of a chain of checkpoints.
 * Checkpoint n covers the events (sealedSeq, toSeq]: `digests` are the per-event SHA-256 of each
 * event's canonical form truncated to 16 bytes, and `mac` = HMAC-SHA256(seal key, canonical
 * (tenant, n, fromSeq, toSeq, prevMac, digests)). Whoever can write the database can rewrite events
 * and any plain hash, but not a MAC: `verifyTrail` names the first event that no longer fits.
 *
 * A checkpoint is committed as [put checkpoint absent, put seal expect rev], so of racing sealers
 * one wins and the others re-read. Events whose seq storage reported when they were appended (the
 * audited read's, see `ReadResult.seq`) are sealed as this instance sent them, so a database write
 * between append and seal is caught too; the rest are read back. Sealing runs every `sealEvery`
 * events this instance appended to a tenant, or once its oldest unsealed event is `sealIntervalMs`
 * old (checked by an unref'd timer), and on demand.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import {
  AUDIT_SEAL_ID,
  type AuditCheckpointRecord,
  type AuditEvent,
  type AuditSealRecord,
  checkpointId,
} from '../contracts/records';
import type { Stored } from '../contracts/storage';
import { commitWithRetry, getRecord, put } from './records';
import type { Runtime } from './runtime';

/** Events one checkpoint covers at most; a longer unsealed tail gets several. */
const MAX_CHECKPOINT_EVENTS = 5000;
const PAGE = 1000;
/** How far ahead verification looks to tell a removed, inserted or reordered event from an altered one. */
const LOOKAHEAD = 64;
const DIGEST_HEX = 32;
/**
 * Events of its own a sealer keeps to seal without reading them back: per tenant, and across tenants
 * (≈ 0.3 KB each, measured: many tenants each below `sealEvery` would otherwise hold a minute of every read).
 * Past either, the oldest go first and are read back when sealed.
 */
const KNOWN_MAX = 2 * MAX_CHECKPOINT_EVENTS;
export const KNOWN_TOTAL_MAX = 50_000;

const json = JSON.stringify;

/** The canonical form of a stored event: every field, its outcome and its position. */
export function eventCanonical(event: AuditEvent, seq = event.seq): string {
  // A detail set to undefined is no detail: JSON stores drop it, and an event sealed as sent must match.
  const keys = Object.keys(event.details).filter((key) => event.details[key] !== undefined).sort();
  return json([
    2,
    seq,
    event.id,
    event.tenant,
    event.type,
    event.path,
    event.actor,
    event.actorDescription,
    event.ip,
    event.userAgent,
    event.timestamp,
    keys.map((key) => [key, event.details[key]]),
    event.success,
    event.error,
    event.version,
  ]);
}

/** SHA-256 of the event's canonical form at position `seq`, truncated to 16 bytes (hex). */
export function eventDigest(event: AuditEvent, seq = event.seq): string {
  return createHash('sha256').update(eventCanonical(event, seq)).digest('hex').slice(0, DIGEST_HEX);
}

export function checkpointMac(
  sealKey: Uint8Array,
  cp: Pick<AuditCheckpointRecord, 'tenant' | 'n' | 'fromSeq' | 'toSeq' | 'prevMac' | 'digests'>,
): string {
  return createHmac('sha256', sealKey)
    .update(json([cp.tenant, cp.n, cp.fromSeq, cp.toSeq, cp.prevMac, cp.digests]))
    .digest('hex');
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export interface AuditSettings {
  sealEvery: number;
  sealIntervalMs: number;
}

export type AuditProblemReason = 'altered' | 'removed' | 'inserted' | 'reordered' | 'checkpoint';

export interface AuditProblem {
  /** The position in the trail where it stops fitting the checkpoints. */
  seq: number;
  /** The event found there (null when none is: the trail ends early, or a checkpoint is wrong). */
  eventId: string | null;
  /**
   * altered: the event differs from what was sealed; removed: sealed events are missing here;
   * inserted: an event that was never sealed stands here; reordered: sealed events changed places;
   * checkpoint: a checkpoint is missing, forged or out of line (the seal chain itself is broken).
   */
  reason: AuditProblemReason;
}

export interface UnsealedTail {
  /** Events after the last checkpoint. */
  count: number;
  /** The first unsealed position (last sealed seq + 1). */
  fromSeq: number;
  /** Timestamp of the oldest unsealed event, or null when there is none. */
  oldestAt: Date | null;
  /**
   * More events, or older ones, than sealing every N events or T seconds leaves behind (with a
   * factor 2 of slack for concurrent instances and the timer). Deleted trailing checkpoints show here.
   */
  exceedsBound: boolean;
}

export interface AuditVerification {
  /**
   * No problem up to the last checkpoint. The unsealed tail is reported apart (`unsealed`): nothing
   * vouches for it, and `unsealed.exceedsBound` is the sign of deleted trailing checkpoints.
   */
  ok: boolean;
  /** Events checked against checkpoints. */
  checked: number;
  /** Checkpoints verified. */
  checkpoints: number;
  /** The last sealed position (0 = nothing sealed yet). */
  sealedSeq: number;
  /** The first event (or checkpoint) that does not fit, or null. */
  firstBad: AuditProblem | null;
  /** `[firstBad]` or `[]`, for callers of the earlier shape. */
  breaks: AuditProblem[];
  unsealed: UnsealedTail;
}

export interface SealResult {
  /** Checkpoints this call wrote (0 when nothing was unsealed, or another instance sealed first). */
  checkpoints: number;
  /** The last sealed position after the call. */
  sealedSeq: number;
}

interface Pending {
  count: number;
  /** Clock time at which this instance noted the oldest unsealed event. */
  since: number;
}

export class AuditSealer {
  readonly #rt: Runtime;
  readonly #settings: AuditSettings;
  readonly #keys = new LRUCache<string, { wrapped: string; key: Uint8Array }>({ max: 1000 });
  readonly #pending = new Map<string, Pending>();
  /** Per tenant, events this instance appended, by seq, not sealed yet. */
  readonly #known = new Map<string, Map<number, AuditEvent>>();
  #knownTotal = 0;
  readonly #running = new Map<string, Promise<SealResult>>();
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(rt: Runtime, settings: AuditSettings) {
    this.#rt = rt;
    this.#settings = settings;
  }

  /**
   * Storage appended `count` events to `tenant` (called by the guarded storage after each write);
   * `event` when storage reported the one event's seq.
   */
  noteAppended(tenant: string, count: number, event?: AuditEvent): void {
    if (this.#closed || count === 0) return;
    if (event) {
      const full = this.#known.get(tenant);
      if (full && full.size >= KNOWN_MAX) this.#dropOldest(tenant, full);
      else if (this.#knownTotal >= KNOWN_TOTAL_MAX) this.#dropOldest(...this.#known.entries().next().value!);
      let known = this.#known.get(tenant);
      if (!known) this.#known.set(tenant, (known = new Map()));
      if (!known.has(event.seq)) this.#knownTotal++;
      known.set(event.seq, event);
    }
    let pending = this.#pending.get(tenant);
    if (!pending) {
      pending = { count: 0, since: this.#rt.clock.now() };
      this.#pending.set(tenant, pending);
      this.#startTimer();
    }
    pending.count += count;
    if (pending.count >= this.#settings.sealEvery) this.#sealInBackground(tenant);
  }

  /** Seal whatever is unsealed in `tenant` now; concurrent calls in this instance share one run. */
  seal(tenant: string): Promise<SealResult> {
    const running = this.#running.get(tenant);
    if (running) return running.then(noop, noop).then(() => this.seal(tenant));
    this.#pending.delete(tenant);
    const run = this.#sealAll(tenant).finally(() => this.#running.delete(tenant));
    this.#running.set(tenant, run);
    return run;
  }

  /** Stop the timer and wait for seals in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#known.clear();
    this.#knownTotal = 0;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await Promise.allSettled([...this.#running.values()]);
  }

  #startTimer(): void {
    if (this.#timer || this.#closed) return;
    // Checks the vault's clock (a manual clock in tests), at most once a second.
    this.#timer = setInterval(() => this.#tick(), Math.min(1000, this.#settings.sealIntervalMs));
    this.#timer.unref();
  }

  #tick(): void {
    const now = this.#rt.clock.now();
    for (const [tenant, pending] of this.#pending) {
      if (now - pending.since >= this.#settings.sealIntervalMs) this.#sealInBackground(tenant);
    }
    if (this.#pending.size === 0 && this.#running.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  #sealInBackground(tenant: string): void {
    if (this.#running.has(tenant)) return;
    this.seal(tenant).catch((error: unknown) => {
      this.#rt.logger.error('could not seal the audit trail', {
        tenant,
        error: error instanceof Error ? error.message : String(error),
      });
    });
  }

  async #sealAll(tenant: string): Promise<SealResult> {
    let written = 0;
    for (;;) {
      const result = await commitWithRetry(() => this.#sealOnce(tenant));
      written += result.wrote ? 1 : 0;
      if (!result.more) return { checkpoints: written, sealedSeq: result.sealedSeq };
    }
  }

  /** One checkpoint over the unsealed events (at most MAX_CHECKPOINT_EVENTS). */
  async #sealOnce(tenant: string): Promise<{ wrote: boolean; more: boolean; sealedSeq: number }> {
    const seal = await this.#sealRecord(tenant);
    const { sealedSeq } = seal.record;
    const known = this.#forget(tenant, sealedSeq);
    const digests: string[] = [];
    while (digests.length < MAX_CHECKPOINT_EVENTS) {
      const next = sealedSeq + digests.length + 1;
      const own = known.get(next);
      if (own) {
        digests.push(eventDigest(own));
        continue;
      }
      const limit = Math.min(PAGE, MAX_CHECKPOINT_EVENTS - digests.length);
      const page = await this.#rt.storage.readAudit({ tenant, afterSeq: next - 1, limit });
      // Only the contiguous prefix: a gap is left for verification to report, never sealed over.
      let contiguous = true;
      for (const event of page) {
        contiguous = event.seq === sealedSeq + digests.length + 1;
        if (!contiguous) break;
        digests.push(eventDigest(known.get(event.seq) ?? event));
      }
      if (!contiguous || page.length < limit) break;
    }
    if (digests.length === 0) return { wrote: false, more: false, sealedSeq };
    const key = await this.#sealKey(seal.record);
    // After a key-encryption-key rotation, the seal key moves to the current key with the next checkpoint.
    const wrappedKey = seal.record.wrappedKey.keyId === this.#rt.keys.currentKeyId()
      ? seal.record.wrappedKey
      : await this.#rt.keys.rewrap(seal.record.wrappedKey, { tenant, purpose: 'audit-seal' });
    const n = seal.record.checkpoints + 1;
    const toSeq = sealedSeq + digests.length;
    const body = { tenant, n, fromSeq: sealedSeq + 1, toSeq, prevMac: seal.record.lastMac, digests };
    const mac = checkpointMac(key, body);
    const checkpoint: AuditCheckpointRecord = { ...body, id: checkpointId(n), mac, sealedAt: this.#rt.clock.now() };
    await this.#rt.storage.commit({
      writes: [
        put('audit_checkpoint', checkpoint, 'absent'),
        put('audit_seal', { ...seal.record, wrappedKey, checkpoints: n, sealedSeq: toSeq, lastMac: mac }, seal.rev),
      ],
      events: [],
    });
    this.#forget(tenant, toSeq);
    return { wrote: true, more: digests.length === MAX_CHECKPOINT_EVENTS, sealedSeq: toSeq };
  }

  /** Drop the tenant's own events up to `sealedSeq`; the rest, by seq. */
  #forget(tenant: string, sealedSeq: number): Map<number, AuditEvent> {
    const known = this.#known.get(tenant) ?? new Map<number, AuditEvent>();
    for (const seq of known.keys()) if (seq <= sealedSeq) this.#knownTotal -= Number(known.delete(seq));
    if (known.size === 0) this.#known.delete(tenant);
    return known;
  }

  /** Forget a tenant's oldest event of its own (it will be read back), in favour of a newer one. */
  #dropOldest(tenant: string, known: Map<number, AuditEvent>): void {
    known.delete(known.keys().next().value!);
    this.#knownTotal--;
    if (known.size === 0) this.#known.delete(tenant);
  }

  /** The tenant's seal record, made (with a fresh wrapped key) on first use; a racing maker re-reads. */
  async #sealRecord(tenant: string): Promise<Stored<'audit_seal'>> {
    const existing = await getRecord(this.#rt.storage, { kind: 'audit_seal', tenant, id: AUDIT_SEAL_ID });
    if (existing) return existing;
    const key = randomBytes(32);
    const wrappedKey = await this.#rt.keys.wrap(key, { tenant, purpose: 'audit-seal' });
    const record: AuditSealRecord = { tenant, id: AUDIT_SEAL_ID, wrappedKey, checkpoints: 0, sealedSeq: 0, lastMac: '' };
    await this.#rt.storage.commit({ writes: [put('audit_seal', record, 'absent')], events: [] });
    this.#keys.set(tenant, { wrapped: wrappedHex(record), key });
    return { kind: 'audit_seal', record, rev: 1 };
  }

  /** The seal key in the clear, unwrapped once per process and tenant. */
  async #sealKey(seal: AuditSealRecord): Promise<Uint8Array> {
    const wrapped = wrappedHex(seal);
    const cached = this.#keys.get(seal.tenant);
    if (cached?.wrapped === wrapped) return cached.key;
    const key = await this.#rt.keys.unwrap(seal.wrappedKey, { tenant: seal.tenant, purpose: 'audit-seal' });
    this.#keys.set(seal.tenant, { wrapped, key });
    return key;
  }

  /** Walk the checkpoints and the events they cover, then measure the unsealed tail. */
  async verify(tenant: string): Promise<Omit<AuditVerification, 'ok' | 'breaks'>> {
    const seal = await getRecord(this.#rt.storage, { kind: 'audit_seal', tenant, id: AUDIT_SEAL_ID });
    const walk = seal ? await this.#walkCheckpoints(seal.record) : { digests: [], checkpoints: 0, problem: null };
    const sealedSeq = walk.digests.length;
    let checked = 0;
    let firstBad: AuditProblem | null = walk.problem;
    if (sealedSeq > 0) {
      const events = await this.#check(tenant, walk.digests);
      checked = events.checked;
      // A break among the events comes before a broken checkpoint further on.
      if (events.problem && (!firstBad || events.problem.seq <= firstBad.seq)) firstBad = events.problem;
    }
    return { checked, checkpoints: walk.checkpoints, sealedSeq, firstBad, unsealed: await this.#tail(tenant, sealedSeq) };
  }

  /** The sealed digests in order, as far as the checkpoint chain holds. */
  async #walkCheckpoints(
    seal: AuditSealRecord,
  ): Promise<{ digests: string[]; checkpoints: number; problem: AuditProblem | null }> {
    const key = await this.#sealKey(seal);
    const digests: string[] = [];
    let prevMac = '';
    let n = 0;
    let afterId: string | null = null;
    const broken = (seq: number) => ({ digests, checkpoints: n, problem: { seq, eventId: null, reason: 'checkpoint' as const } });
    for (;;) {
      const page: Stored<'audit_checkpoint'>[] = await this.#rt.storage.listRecords({ kind: 'audit_checkpoint', tenant: seal.tenant, afterId, limit: 100 });
      for (const { record: cp } of page) {
        // Checkpoints a concurrent sealer added after the seal record was read are not ours to judge.
        if (n === seal.checkpoints) break;
        const fits =
          cp.n === n + 1
          && cp.id === checkpointId(cp.n)
          && cp.fromSeq === digests.length + 1
          && cp.toSeq === cp.fromSeq + cp.digests.length - 1
          && cp.prevMac === prevMac
          && sameHex(checkpointMac(key, cp), cp.mac);
        if (!fits) return broken(digests.length + 1);
        digests.push(...cp.digests);
        prevMac = cp.mac;
        n = cp.n;
      }
      if (page.length < 100 || n === seal.checkpoints) break;
      afterId = page.at(-1)!.record.id;
    }
    // The seal record names the head: checkpoints removed from the end show here unless it was rolled back too.
    const headFits = seal.checkpoints === n && seal.sealedSeq === digests.length && seal.lastMac === prevMac;
    if (!headFits) return broken(digests.length + 1);
    return { digests, checkpoints: n, problem: null };
  }

  /** Compare the events at positions 1..digests.length with the sealed digests; name the first misfit. */
  async #check(tenant: string, digests: string[]): Promise<{ checked: number; problem: AuditProblem | null }> {
    let buffer: AuditEvent[] = [];
    let head = 0;
    let afterSeq = 0;
    let exhausted = false;
    const fill = async (needed: number) => {
      if (head >= PAGE) {
        buffer = buffer.slice(head);
        head = 0;
      }
      while (!exhausted && buffer.length - head < needed) {
        const page = await this.#rt.storage.readAudit({ tenant, afterSeq, limit: PAGE });
        buffer.push(...page);
        if (page.length > 0) afterSeq = page.at(-1)!.seq;
        if (page.length < PAGE) exhausted = true;
      }
    };
    const fitsAt = (event: AuditEvent | undefined, position: number) =>
      event !== undefined && position <= digests.length && eventDigest(event, position) === digests[position - 1];
    for (let position = 1; position <= digests.length; position++) {
      await fill(LOOKAHEAD + 1);
      const event = buffer[head];
      if (!event) return { checked: position - 1, problem: { seq: position, eventId: null, reason: 'removed' } };
      if (event.seq === position && fitsAt(event, position)) {
        head++;
        continue;
      }
      const problem = (reason: AuditProblemReason) => ({
        checked: position - 1,
        problem: { seq: position, eventId: event.id, reason },
      });
      // Removed without renumbering leaves a gap; inserted without renumbering repeats a number.
      if (event.seq > position) return problem('removed');
      if (event.seq < position) return problem('inserted');
      // Renumbered: does this event belong further on, and does the sealed one stand further on?
      let belongsLater = false;
      for (let ahead = 1; ahead <= LOOKAHEAD && !belongsLater; ahead++) belongsLater = fitsAt(event, position + ahead);
      const sealedLater = buffer.slice(head + 1, head + LOOKAHEAD + 1).some((later) => fitsAt(later, position));
      if (belongsLater && sealedLater) return problem('reordered');
      if (belongsLater) return problem('removed');
      if (sealedLater) return problem('inserted');
      return problem('altered');
    }
    return { checked: digests.length, problem: null };
  }

  async #tail(tenant: string, sealedSeq: number): Promise<UnsealedTail> {
    let count = 0;
    let oldest: number | null = null;
    let afterSeq = sealedSeq;
    for (;;) {
      const page = await this.#rt.storage.readAudit({ tenant, afterSeq, limit: PAGE });
      for (const event of page) oldest = oldest === null ? event.timestamp : Math.min(oldest, event.timestamp);
      count += page.length;
      if (page.length < PAGE) break;
      afterSeq = page.at(-1)!.seq;
    }
    const age = oldest === null ? 0 : this.#rt.clock.now() - oldest;
    return {
      count,
      fromSeq: sealedSeq + 1,
      oldestAt: oldest === null ? null : new Date(oldest),
      exceedsBound: count > 2 * this.#settings.sealEvery || age > 2 * this.#settings.sealIntervalMs,
    };
  }
}

const noop = () => {};

function wrappedHex(seal: AuditSealRecord): string {
  return `${seal.wrappedKey.keyId}:${Buffer.from(seal.wrappedKey.ciphertext).toString('hex')}`;
}

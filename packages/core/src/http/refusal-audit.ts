/**
 * Counts refusals per client address and window, and hands each window's counts to the vault as
 * ONE audit event per (type, tenant, address) — never one per request. Memory is bounded: past
 * `maxAddresses` entries in a window, further addresses are counted together in one overflow entry.
 */
import type { RefusalBatch } from '../vault/edge';
import type { Logger } from '../vault/runtime';

export type RefusalKind = RefusalBatch['type'];

export interface RefusalAuditOptions {
  /** Length of an aggregation window. Default 60. */
  windowSeconds?: number;
  /** Entries (type × tenant × address) kept per window before the rest share an overflow entry. Default 10,000. */
  maxAddresses?: number;
}

interface Entry {
  type: RefusalKind;
  tenant: string | undefined;
  ip: string | null;
  windowStart: number;
  overflow: boolean;
  counts: Record<string, number>;
}

export interface RefusalAudit {
  /** Count one refusal. Never throws, never waits. `now` is ms since the epoch. */
  record(type: RefusalKind, code: string, ip: string | null, tenant: string | undefined, now: number): void;
  /** Append the events of every window that has ended by `now` (cheap when none has). */
  flushDue(now: number): void;
  /** Append every entry, ended or not (shutdown, tests). */
  flushAll(): Promise<void>;
  /** Entries held (for tests of the bound). */
  readonly size: number;
}

export function refusalAudit(
  append: (batch: RefusalBatch) => Promise<void>,
  logger: Logger,
  options: RefusalAuditOptions = {},
): RefusalAudit {
  const windowMs = Math.round((options.windowSeconds ?? 60) * 1000);
  const maxEntries = options.maxAddresses ?? 10_000;
  if (!Number.isSafeInteger(windowMs) || windowMs < 1000)
    throw new TypeError('refusalAudit: `windowSeconds` must be at least 1');
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1)
    throw new TypeError('refusalAudit: `maxAddresses` must be a positive integer');
  const entries = new Map<string, Entry>();
  let nextDue = Number.POSITIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let lastNow = 0;

  function send(entry: Entry): Promise<void> {
    const batch: RefusalBatch = {
      type: entry.type,
      ip: entry.ip,
      windowStart: entry.windowStart,
      windowEnd: entry.windowStart + windowMs,
      counts: entry.counts,
      ...(entry.tenant === undefined ? {} : { tenant: entry.tenant }),
      ...(entry.overflow ? { overflow: true } : {}),
    };
    return append(batch).catch((error: unknown) => {
      logger.error('could not audit refused requests', {
        type: entry.type,
        error: error instanceof Error ? error.message : String(error),
      });
    });
  }

  function take(due: (entry: Entry) => boolean): Promise<void>[] {
    const sent: Promise<void>[] = [];
    nextDue = Number.POSITIVE_INFINITY;
    for (const [key, entry] of entries) {
      if (due(entry)) {
        entries.delete(key);
        sent.push(send(entry));
      } else {
        nextDue = Math.min(nextDue, entry.windowStart + windowMs);
      }
    }
    return sent;
  }

  // Wakes up once the earliest window has ended, so an idle server still writes its last window.
  function schedule(now: number): void {
    if (timer !== null || entries.size === 0) return;
    timer = setTimeout(() => {
      timer = null;
      flushDue(Math.max(lastNow, Date.now()));
      schedule(lastNow);
    }, Math.max(1000, nextDue - now));
    timer.unref?.();
  }

  function flushDue(now: number): void {
    lastNow = Math.max(lastNow, now);
    if (now < nextDue) return;
    void take((entry) => entry.windowStart + windowMs <= now); // each send logs its own failure
  }

  return {
    record(type, code, ip, tenant, now) {
      flushDue(now);
      const windowStart = Math.floor(now / windowMs) * windowMs;
      let key = `${type}\u0000${tenant ?? ''}\u0000${ip ?? ''}\u0000${windowStart}`;
      let entry = entries.get(key);
      if (!entry && entries.size >= maxEntries) {
        key = `${type}\u0000\u0000*\u0000${windowStart}`;
        entry = entries.get(key);
        if (entry) entry.overflow = true;
        else {
          entry = { type, tenant: undefined, ip: null, windowStart, overflow: true, counts: {} };
          entries.set(key, entry); // the one entry past the bound, per type and window
        }
      }
      if (!entry) {
        entry = { type, tenant, ip, windowStart, overflow: false, counts: {} };
        entries.set(key, entry);
      }
      entry.counts[code] = (entry.counts[code] ?? 0) + 1;
      nextDue = Math.min(nextDue, windowStart + windowMs);
      schedule(now);
    },
    flushDue,
    async flushAll() {
      await Promise.all(take(() => true));
    },
    get size() {
      return entries.size;
    },
  };
}

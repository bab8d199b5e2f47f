/**
 * Lifecycle automation: rotation handlers, `rotateNow`, and the maintenance pass that purges the
 * trash, expires approval requests, warns before expiry and runs due rotations. Every step is
 * decided by storage (a lease, a compare-and-set, a claim), so any number of instances may run
 * maintenance at once and each piece of work still happens once.
 */
import { type ExpiryWarningKind, expiryWarningId, type SecretRecord, type VersionRecord } from '../contracts/records';
import type { RecordWrite, VersionKey } from '../contracts/storage';
import { AgentVaultConflictError, AgentVaultError, AgentVaultNotFoundError } from '../errors';
import { parsePath } from '../schemas/fields';
import { type CallOptions, callSchema } from '../schemas/secrets';
import { expireApproval } from './approvals';
import { alreadyAudited, auditablePath, auditFailure, type OperationFacts, operation, successEvent } from './auditing';
import { authorizeSecret, authorizeTier, type CallContext, consumeUse, tierLimit } from './authorization';
import { emitEvent } from './events';
import { registerRotationHandler, type RotationHandler, rotateStaged } from './rotation';
import { commitWithRetry, conflictOf, keyOf, put } from './records';
import { mayPrune, retentionFor, versionsToPrune } from '../domain/version-retention';
import type { Runtime } from './runtime';
import { destroySecret, readSecretRecord } from './secret-store';
import type { RotateResult } from './views';

const DAY_MS = 86_400_000;
const PAGE = 100;
const RETENTION_PAGE = 500;

export interface MaintenanceReport {
  /** Trashed secrets destroyed because their retention ended. */
  purged: number;
  /** Pending approval requests marked expired. */
  approvalsExpired: number;
  /** Expiry warnings sent (each fires once per secret, expiry date and kind, across instances). */
  warnings: number;
  rotations: { rotated: number; failed: number; busy: number; superseded: number };
  /** Old versions destroyed by version-history retention (one `secret.prune` event per secret). */
  versionsPruned: number;
  /** Steps that failed for a reason other than another instance getting there first. */
  errors: number;
}

export interface MaintenanceHandle {
  /** Stop the timer and wait for a pass in progress to finish. */
  stop(): Promise<void>;
}

/** Who maintenance acts as in one tenant: `app:<name>`. */
function systemCall(tenant: string, name: string): CallContext {
  return { principal: { kind: 'app', name, tenant }, tenant, actor: `app:${name}`, actorDescription: null, ip: null, userAgent: null };
}

/** The steps of one maintenance pass, bound to a runtime whose clock reads the pass's time. */
function maintenanceSteps(rt: Runtime) {
  const { storage } = rt;

  /** Run `step` for each item, counting done ones; a race lost to another instance is not an error. */
  async function each<T extends { tenant: string }>(
    items: T[],
    facts: (item: T) => OperationFacts,
    step: (item: T) => Promise<boolean>,
    report: MaintenanceReport,
  ): Promise<number> {
    let done = 0;
    for (const item of items) {
      try {
        if (await step(item)) done++;
      } catch (error) {
        if (error instanceof AgentVaultConflictError || error instanceof AgentVaultNotFoundError) continue;
        // Counted, logged and audited; the next pass tries again.
        report.errors++;
        rt.logger.error('maintenance step failed', { error: error instanceof Error ? error.message : String(error) });
        await auditFailure(rt, systemCall(item.tenant, 'maintenance'), facts(item), error);
      }
    }
    return done;
  }

  /** Record one warning with its event; a conflict on that write means it was already sent. */
  async function claimWarning(
    tenant: string,
    path: string,
    expiresAt: number,
    kind: ExpiryWarningKind,
    event: Parameters<typeof storage.commit>[0]['events'][number],
  ): Promise<boolean> {
    const record = { tenant, id: expiryWarningId(path, expiresAt, kind), path, expiresAt, kind, sentAt: rt.clock.now() };
    try {
      await storage.commit({ writes: [put('expiry_warning', record, 'absent')], events: [event] });
      return true;
    } catch (error) {
      if (conflictOf(error) !== null) return false;
      throw error;
    }
  }

  async function purgeTrash(now: number, report: MaintenanceReport): Promise<void> {
    for (;;) {
      const due = (await storage.listDue({ due: 'purge', now, limit: PAGE })).map((stored) => stored.record);
      const purged = await each(
        due,
        (record) => ({ type: 'secret.destroy', path: record.path }),
        async (record) => {
          const call = systemCall(record.tenant, 'maintenance');
          await destroySecret(
            rt,
            record.tenant,
            record.path,
            now,
            successEvent(rt, call, 'secret.destroy', record.path, null, { reason: 'trash retention ended' }),
          );
          emitEvent(rt.listeners, rt.logger, { type: 'secret.purged', tenant: record.tenant, path: record.path });
          return true;
        },
        report,
      );
      report.purged += purged;
      if (due.length < PAGE || purged === 0) return;
    }
  }

  async function expireApprovals(now: number, report: MaintenanceReport): Promise<void> {
    for (;;) {
      const due = await storage.listDue({ due: 'approval_expiry', now, limit: PAGE });
      const expired = await each(
        due.map((stored) => ({ tenant: stored.record.tenant, stored })),
        () => ({ type: 'approval.expire', path: null }),
        ({ stored }) => expireApproval(rt, stored, now),
        report,
      );
      report.approvalsExpired += expired;
      if (due.length < PAGE || expired === 0) return;
    }
  }

  /** Warn once at 7 days before expiry (when more than a day is left) and once at 1 day. */
  async function warnExpiring(now: number, report: MaintenanceReport): Promise<void> {
    const windows: Array<[ExpiryWarningKind, number, number]> = [
      ['7d', now + DAY_MS, now + 7 * DAY_MS],
      ['1d', now, now + DAY_MS],
    ];
    for (const [kind, from, until] of windows) {
      let after: { expiresAt: number; tenant: string; path: string } | null = null;
      for (;;) {
        const page: SecretRecord[] = (await storage.listDue({ due: 'expiry', from, until, after, limit: PAGE })).map((stored) => stored.record);
        report.warnings += await each(
          page,
          (record) => ({ type: 'secret.expiring', path: record.path }),
          async (record) => {
            const expiresAt = record.expiresAt!;
            const call = systemCall(record.tenant, 'maintenance');
            const claimed = await claimWarning(
              record.tenant,
              record.path,
              expiresAt,
              kind,
              successEvent(rt, call, 'secret.expiring', record.path, null, { warning: kind, expiresAt }),
            );
            if (claimed) emitEvent(rt.listeners, rt.logger, { type: 'secret.expiring', tenant: record.tenant, path: record.path, expiresAt: new Date(expiresAt), warning: kind });
            return claimed;
          },
          report,
        );
        const last = page.at(-1);
        if (!last || page.length < PAGE) break;
        after = { expiresAt: last.expiresAt!, tenant: last.tenant, path: last.path };
      }
    }
  }

  async function runDueRotations(now: number, report: MaintenanceReport): Promise<void> {
    // A rotated secret leaves the due list, so the next page holds the rest; a page that rotated
    // nothing (all busy elsewhere or failing) ends the pass, and the next pass tries again.
    for (;;) {
      const due = (await storage.listDue({ due: 'rotation', now, limit: PAGE })).map((stored) => stored.record);
      const rotated = await each(
        due,
        (record) => ({ type: 'secret.rotate', path: record.path }),
        async (record) => {
          const outcome = await rotateStaged(rt, systemCall(record.tenant, 'rotation'), record.path, now);
          if (outcome.status === 'rotated') report.rotations.rotated++;
          else if (outcome.status === 'failed') report.rotations.failed++;
          else if (outcome.status === 'busy') report.rotations.busy++;
          else if (outcome.status === 'superseded') report.rotations.superseded++;
          return outcome.status === 'rotated';
        },
        report,
      );
      if (due.length < PAGE || rotated === 0) return;
    }
  }

  /**
   * Destroy one secret's versions its retention policy no longer keeps: delete the version records
   * (ciphertext and wrapped key with them) expecting the revisions read, on the condition that the
   * secret is unchanged, with one `secret.prune` event naming them. A lost race re-reads.
   */
  async function pruneSecret(tenant: string, path: string, now: number): Promise<number> {
    return commitWithRetry(async () => {
      const secret = await readSecretRecord(rt, tenant, path);
      const policy = secret ? retentionFor(secret.record, rt.config.versionRetention) : null;
      if (!secret || !policy) return 0;
      const stored = await storage.getRecords(
        Array.from({ length: secret.record.latestVersion }, (_, i) => keyOf.version(tenant, path, i + 1)),
      );
      const versions = stored.flatMap((s) => (s ? [{ ...(s.record as VersionRecord), rev: s.rev }] : []));
      const prune = new Set(versionsToPrune(secret.record, versions, policy, now));
      if (prune.size === 0) return 0;
      const writes: RecordWrite[] = [{ op: 'check', key: keyOf.secret(tenant, path), expect: secret.rev }];
      for (const v of versions) {
        if (prune.has(v.version)) writes.push({ op: 'delete', key: keyOf.version(tenant, path, v.version), expect: v.rev });
      }
      const call = systemCall(tenant, 'maintenance');
      const event = successEvent(rt, call, 'secret.prune', path, secret.record.currentVersion, {
        versions: [...prune].join(','),
        count: prune.size,
        reason: 'version retention',
      });
      await storage.commit({ writes, events: [event] });
      return prune.size;
    });
  }

  /**
   * Walk every stored version (store-wide, by tenant, path and version). Of the secrets with more
   * than one (a single version is always current), read each page's records in one call and prune
   * those whose policy can remove something: one with `days`, or with more versions than it keeps.
   */
  async function pruneVersions(now: number, report: MaintenanceReport): Promise<void> {
    type Group = { tenant: string; path: string; count: number };
    const prune = async (groups: Group[]) => {
      const several = groups.filter((g) => g.count > 1);
      if (several.length === 0) return;
      const secrets = await storage.getRecords(several.map((g) => keyOf.secret(g.tenant, g.path)));
      const candidates = several.filter((g, i) => {
        const secret = secrets[i]?.record as SecretRecord | undefined;
        return secret !== undefined && mayPrune(secret, g.count, retentionFor(secret, rt.config.versionRetention));
      });
      await each(
        candidates,
        (g) => ({ type: 'secret.prune', path: g.path }),
        async (g) => {
          const pruned = await pruneSecret(g.tenant, g.path, now);
          report.versionsPruned += pruned;
          return pruned > 0;
        },
        report,
      );
    };
    let after: VersionKey | null = null;
    let group: Group | null = null;
    for (;;) {
      const page = await storage.listWrappedKeys({ after, limit: RETENTION_PAGE });
      const done: Group[] = [];
      for (const key of page) {
        if (group && group.tenant === key.tenant && group.path === key.path) group.count++;
        else {
          if (group) done.push(group);
          group = { tenant: key.tenant, path: key.path, count: 1 };
        }
      }
      await prune(done);
      const last = page.at(-1);
      if (!last || page.length < RETENTION_PAGE) break;
      after = { tenant: last.tenant, path: last.path, version: last.version };
    }
    if (group) await prune([group]);
  }

  return { purgeTrash, expireApprovals, warnExpiring, runDueRotations, pruneVersions };
}

export function lifecycleOperations(rt: Runtime) {
  /**
   * Rotate now with the registered handler, staged (pending → test → promote). Needs the `rotate`
   * action on the path. A run already in progress elsewhere is a conflict.
   */
  function rotateNow(path: string, options?: CallOptions): Promise<RotateResult> {
    return operation(rt, { type: 'secret.rotate', path: auditablePath(path) }, callSchema, options, async (call) => {
      const p = parsePath(path);
      authorizeSecret(call, 'rotate', p);
      await consumeUse(rt, call);
      if (tierLimit(call) !== null) {
        const record = (await readSecretRecord(rt, call.tenant, p))?.record;
        if (record) authorizeTier(call, 'rotate', p, record.tier);
      }
      const outcome = await rotateStaged(rt, call, p);
      switch (outcome.status) {
        case 'rotated':
          return { path: p, newVersion: outcome.newVersion, oldVersion: outcome.oldVersion, expiresAt: outcome.oldExpiresAt };
        case 'busy':
          throw new AgentVaultConflictError(`A rotation of '${p}' is already running`);
        case 'superseded':
          throw new AgentVaultConflictError(`A write to '${p}' replaced the staged version; the rotation was discarded`);
        case 'skipped':
          throw new AgentVaultNotFoundError(`Secret not found: '${p}'`, { path: p });
        case 'failed':
          throw alreadyAudited(
            new AgentVaultError(`Rotation of '${p}' failed at ${outcome.stage}; the current version is unchanged`, 'internal_error', 500, {
              cause: outcome.error,
              details: { stage: outcome.stage },
            }),
          );
      }
    });
  }

  /**
   * One maintenance pass at `now` (default: the vault's clock): purge the trash past its retention
   * (crypto-shredding every version), expire undecided approval requests, send expiry warnings,
   * run due rotations, destroy old versions past their retention. Safe to run on many instances at once.
   */
  async function runMaintenance(now?: number | Date): Promise<MaintenanceReport> {
    const at = now === undefined ? rt.clock.now() : typeof now === 'number' ? now : now.getTime();
    // Every step of this pass, audit timestamps included, happens at `at`.
    const pass: Runtime = { ...rt, clock: { now: () => at } };
    const report: MaintenanceReport = {
      purged: 0,
      approvalsExpired: 0,
      warnings: 0,
      rotations: { rotated: 0, failed: 0, busy: 0, superseded: 0 },
      versionsPruned: 0,
      errors: 0,
    };
    const steps = maintenanceSteps(pass);
    await steps.purgeTrash(at, report);
    await steps.expireApprovals(at, report);
    await steps.warnExpiring(at, report);
    await steps.runDueRotations(at, report);
    await steps.pruneVersions(at, report);
    return report;
  }

  /**
   * Run maintenance every `intervalMs` (default one minute) until `stop()`. Passes never overlap;
   * a pass that throws is logged and the next one runs on schedule. The timer does not keep the
   * process alive.
   */
  function startMaintenance(
    options: { intervalMs?: number; onReport?: (report: MaintenanceReport) => void } = {},
  ): MaintenanceHandle {
    const intervalMs = options.intervalMs ?? 60_000;
    if (!Number.isFinite(intervalMs) || intervalMs < 10) throw new TypeError('startMaintenance: intervalMs must be at least 10');
    let stopped = false;
    let running: Promise<void> | null = null;
    let timer: NodeJS.Timeout | null = null;
    const tick = () => {
      running = runMaintenance()
        .then((report) => options.onReport?.(report))
        .catch((error: unknown) => rt.logger.error('maintenance pass failed', { error: error instanceof Error ? error.message : String(error) }))
        .finally(() => {
          running = null;
          if (!stopped) schedule();
        });
    };
    const schedule = () => {
      timer = setTimeout(tick, intervalMs);
      timer.unref();
    };
    schedule();
    return {
      async stop() {
        stopped = true;
        if (timer) clearTimeout(timer);
        await running;
      },
    };
  }

  return {
    registerRotationHandler: (typeOrPattern: string, handler: RotationHandler) =>
      registerRotationHandler(rt, typeOrPattern, handler),
    rotateNow,
    runMaintenance,
    startMaintenance,
  };
}

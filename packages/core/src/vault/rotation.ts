/**
 * Staged rotation, as AWS Secrets Manager does it: the handler makes a new value, which is stored
 * as the pending version; the handler tests it; only then is it promoted to current. The whole run
 * holds a lease in storage, so one instance rotates a secret at a time; a run that died half-way
 * is resumed from its pending version; a failure discards the pending version, leaves the current
 * one untouched, is audited and retried with backoff.
 */
import type { RotationPolicy, SecretRecord } from '../contracts/records';
import { SECRET_TYPES, type SecretType, type Tier } from '../domain/classification';
import { parseScope, patternMatches } from '../domain/scopes';
import { AgentVaultConflictError, AgentVaultValidationError } from '../errors';
import { appendEvent, draftEvent, successEvent } from './auditing';
import type { CallContext } from './authorization';
import { emitEvent } from './events';
import type { Runtime } from './runtime';
import { acquireLease, releaseLease } from './leases';
import { openVersion, sealVersion } from './sealing';
import { changeSecret, discardPending, promoteVersion, readSecretRecord } from './secret-store';
import { updateMetadata } from '../domain/secret-rules';

export interface RotationContext {
  tenant: string;
  path: string;
  type: SecretType;
  tier: Tier;
  currentValue: string;
  currentVersion: number;
}

/** What a host registers to rotate one kind of secret. */
export interface RotationHandler {
  /** Make the new value (e.g. create a key at the provider). */
  create(context: RotationContext): Promise<string>;
  /** Check the new value works (e.g. connect with it); throw to reject it. */
  test?(context: RotationContext & { pendingValue: string; pendingVersion: number }): Promise<void>;
  /**
   * After promotion: retire the old value at the provider. The old version stays readable in the
   * vault until `graceEndsAt`; a handler that must wait for it can schedule the revocation.
   */
  revokeOld?(context: RotationContext & { oldValue: string; oldVersion: number; graceEndsAt: Date }): Promise<void>;
}

export interface RegisteredRotationHandler {
  target: { type: SecretType } | { pattern: readonly string[] };
  handler: RotationHandler;
}

export type RotationStage = 'create' | 'test' | 'revoke_old' | 'no_handler';

export type RotationOutcome =
  | { status: 'rotated'; newVersion: number; oldVersion: number; oldExpiresAt: Date }
  /** Another instance holds the secret's rotation lease. */
  | { status: 'busy' }
  /** A write landed after the value was staged; the write wins and the staged version is discarded. */
  | { status: 'superseded' }
  /** The secret is gone or in the trash. */
  | { status: 'skipped' }
  | { status: 'failed'; stage: RotationStage; error: unknown };

const LEASE_TTL_MS = 5 * 60_000;
const FIRST_RETRY_SECONDS = 60;

/** Seconds to wait after `failures` consecutive failures: 1, 2, 4 … minutes, capped at the rotation interval. */
export function retryDelaySeconds(failures: number, everySeconds: number): number {
  return Math.min(everySeconds, FIRST_RETRY_SECONDS * 2 ** Math.min(failures - 1, 20));
}

/**
 * Register a handler for a secret type (`api_key`, …) or a path pattern in scope syntax
 * (`production/stripe/*`). A path pattern wins over a type. Returns the unregister function.
 */
export function registerRotationHandler(rt: Runtime, typeOrPattern: string, handler: RotationHandler): () => void {
  if (typeof handler?.create !== 'function') throw new TypeError('registerRotationHandler: handler.create must be a function');
  const target = (SECRET_TYPES as readonly string[]).includes(typeOrPattern)
    ? { type: typeOrPattern as SecretType }
    : { pattern: parseScope(`secrets:rotate:${typeOrPattern}`).grants[0]!.segments };
  const registered: RegisteredRotationHandler = { target, handler };
  rt.rotationHandlers.push(registered);
  return () => {
    const index = rt.rotationHandlers.indexOf(registered);
    if (index !== -1) rt.rotationHandlers.splice(index, 1);
  };
}

export function findRotationHandler(rt: Runtime, record: SecretRecord): RotationHandler | null {
  const segments = record.path.split('/');
  const byPath = rt.rotationHandlers.find((r) => 'pattern' in r.target && patternMatches(r.target.pattern, segments));
  return (byPath ?? rt.rotationHandlers.find((r) => 'type' in r.target && r.target.type === record.type))?.handler ?? null;
}

/** Read a value for the handler, audited as a read by the rotating actor. */
async function readValue(rt: Runtime, call: CallContext, path: string, version: number): Promise<string> {
  const result = await rt.storage.readSecret({
    tenant: call.tenant,
    path,
    version,
    now: rt.clock.now(),
    maxTier: null,
    token: null,
    event: draftEvent(rt, call, 'secret.read', path, { purpose: 'rotation' }),
  });
  if (result.outcome !== 'ok') throw new AgentVaultConflictError(`cannot read version ${version} of '${path}' for rotation: ${result.outcome}`);
  const opened = openVersion(rt, result.version);
  return typeof opened === 'string' ? opened : await opened;
}

/** Record a failed attempt: discard what was staged, schedule the retry, audit, notify. */
async function fail(
  rt: Runtime,
  call: CallContext,
  record: SecretRecord,
  stage: RotationStage,
  error: unknown,
  pending: number | null,
): Promise<RotationOutcome> {
  const now = rt.clock.now();
  const failures = (record.rotation?.failures ?? 0) + 1;
  const rotation: RotationPolicy | null = record.rotation && {
    ...record.rotation,
    failures,
    nextAt: now + retryDelaySeconds(failures, record.rotation.everySeconds) * 1000,
  };
  // Only the error's class name: a handler's message may hold a value.
  const errorName = error instanceof Error ? error.name : 'Error';
  const event = {
    ...draftEvent(rt, call, 'secret.rotate', record.path, { stage, error: errorName }),
    success: false,
    error: 'rotation_failed',
    version: pending,
  };
  try {
    if (pending !== null) {
      await discardPending(rt, call.tenant, record.path, { version: pending, rotation, now }, event);
    } else {
      await changeSecret(
        rt,
        call.tenant,
        record.path,
        (secret) =>
          updateMetadata(secret, record.path, { expectedCurrentVersion: null, patch: { rotation }, now, by: call.actor }),
        event,
      );
    }
  } catch (bookkeeping) {
    rt.logger.error('could not record a failed rotation', { path: record.path, error: String(bookkeeping) });
  }
  emitEvent(rt.listeners, rt.logger, {
    type: 'rotation.failed',
    tenant: call.tenant,
    path: record.path,
    stage,
    error: errorName,
    attempt: failures,
    nextAttemptAt: rotation ? new Date(rotation.nextAt) : null,
  });
  return { status: 'failed', stage, error };
}

/** Give up a staged version that a later write overtook. */
async function discardSuperseded(
  rt: Runtime,
  call: CallContext,
  record: SecretRecord,
  pending: number,
): Promise<RotationOutcome> {
  await discardPending(
    rt,
    call.tenant,
    record.path,
    { version: pending, rotation: record.rotation, now: rt.clock.now() },
    successEvent(rt, call, 'secret.discard', record.path, pending, { reason: 'superseded' }),
  ).catch((error: unknown) => {
    if (!(error instanceof AgentVaultConflictError)) throw error;
  });
  return { status: 'superseded' };
}

async function rotateHeld(rt: Runtime, call: CallContext, path: string, dueBy: number | null): Promise<RotationOutcome> {
  const record = (await readSecretRecord(rt, call.tenant, path))?.record ?? null;
  if (!record || record.trashedAt !== null) return { status: 'skipped' };
  // Maintenance re-checks under the lease: another instance may have just rotated it.
  const due = record.pendingVersion !== null || (record.rotation !== null && record.rotation.nextAt <= (dueBy ?? 0));
  if (dueBy !== null && !due) return { status: 'skipped' };
  let pending = record.pendingVersion;
  if (pending !== null && record.latestVersion !== pending) return discardSuperseded(rt, call, record, pending);
  const handler = findRotationHandler(rt, record);
  if (!handler) return fail(rt, call, record, 'no_handler', new Error('no rotation handler registered'), pending);

  let stage: RotationStage = 'create';
  let context: RotationContext;
  let pendingValue: string;
  try {
    context = {
      tenant: call.tenant,
      path,
      type: record.type,
      tier: record.tier,
      currentValue: await readValue(rt, call, path, record.currentVersion),
      currentVersion: record.currentVersion,
    };
    if (pending === null) {
      const value = await handler.create(context);
      const parsed = rt.schemas.value.safeParse(value);
      if (!parsed.success) throw new AgentVaultValidationError('The rotation handler returned an invalid value');
      const version = await sealVersion(rt, call, path, record.latestVersion + 1, parsed.data, rt.clock.now());
      try {
        await rt.storage.writeVersion({
          mode: 'stage',
          version,
          expectedCurrentVersion: record.currentVersion,
          patch: {},
          retirePreviousAt: null,
          event: successEvent(rt, call, 'secret.stage', path, version.version),
        });
      } catch (error) {
        if (error instanceof AgentVaultConflictError) return { status: 'superseded' };
        throw error;
      }
      pending = version.version;
      pendingValue = parsed.data;
    } else {
      pendingValue = await readValue(rt, call, path, pending);
    }
    stage = 'test';
    await handler.test?.({ ...context, pendingValue, pendingVersion: pending });
  } catch (error) {
    return fail(rt, call, record, stage, error, pending);
  }

  const now = rt.clock.now();
  const graceSeconds = record.rotation?.gracePeriodSeconds ?? 0;
  const oldExpiresAt = now + graceSeconds * 1000;
  try {
    await promoteVersion(
      rt,
      call.tenant,
      path,
      {
        version: pending,
        retirePreviousAt: oldExpiresAt,
        rotation: record.rotation && { ...record.rotation, failures: 0, nextAt: now + record.rotation.everySeconds * 1000 },
        now,
        by: call.actor,
      },
      successEvent(rt, call, 'secret.rotate', path, pending, { staged: true, oldVersion: record.currentVersion, gracePeriodSeconds: graceSeconds }),
    );
  } catch (error) {
    if (!(error instanceof AgentVaultConflictError)) throw error;
    return discardSuperseded(rt, call, record, pending);
  }
  emitEvent(rt.listeners, rt.logger, {
    type: 'rotation.completed',
    tenant: call.tenant,
    path,
    newVersion: pending,
    oldVersion: record.currentVersion,
    oldExpiresAt: new Date(oldExpiresAt),
  });
  if (handler.revokeOld) {
    try {
      await handler.revokeOld({
        ...context,
        oldValue: context.currentValue,
        oldVersion: record.currentVersion,
        graceEndsAt: new Date(oldExpiresAt),
      });
    } catch (error) {
      // The new version stays current; the failure is audited and reported, and not retried.
      const errorName = error instanceof Error ? error.name : 'Error';
      await appendEvent(rt, {
        ...draftEvent(rt, call, 'secret.rotate', path, { stage: 'revoke_old', error: errorName }),
        success: false,
        error: 'rotation_failed',
        version: pending,
      });
      emitEvent(rt.listeners, rt.logger, {
        type: 'rotation.failed',
        tenant: call.tenant,
        path,
        stage: 'revoke_old',
        error: errorName,
        attempt: 1,
        nextAttemptAt: null,
      });
    }
  }
  return { status: 'rotated', newVersion: pending, oldVersion: record.currentVersion, oldExpiresAt: new Date(oldExpiresAt) };
}

/**
 * One staged rotation of `path` in the caller's tenant, under the secret's rotation lease. With
 * `dueBy` (maintenance), only if it is still due at that time once the lease is held.
 */
export async function rotateStaged(
  rt: Runtime,
  call: CallContext,
  path: string,
  dueBy: number | null = null,
): Promise<RotationOutcome> {
  const lease = { tenant: call.tenant, name: `rotation/${path}`, owner: rt.instanceId };
  if (!(await acquireLease(rt, { ...lease, now: rt.clock.now(), ttlMs: LEASE_TTL_MS }))) return { status: 'busy' };
  try {
    return await rotateHeld(rt, call, path, dueBy);
  } finally {
    await releaseLease(rt, lease).catch((error: unknown) => {
      rt.logger.error('could not release a rotation lease', { path, error: String(error) });
    });
  }
}

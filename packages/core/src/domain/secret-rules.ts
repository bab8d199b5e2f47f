/**
 * What each change of a secret other than a new version does, without I/O: each function takes
 * the records as read and returns the records to store, or throws the refusal the caller sees.
 * The vault commits the result expecting the revisions it read (vault/secret-changes).
 */
import type { RotationPolicy, SecretRecord, VersionRecord } from '../contracts/records';
import type { SecretPatch } from '../contracts/storage';
import { AgentVaultConflictError, AgentVaultGoneError, AgentVaultNotFoundError } from '../errors';

export function secretNotFound(path: string): AgentVaultNotFoundError {
  return new AgentVaultNotFoundError(`Secret not found: '${path}'`, { path });
}

/** A copy of `secret` with `patch` applied (absent keys unchanged, null clears). Adapters use it for `writeVersion`. */
export function applySecretPatch(secret: SecretRecord, patch: SecretPatch): SecretRecord {
  const next: SecretRecord = { ...secret, tags: { ...secret.tags }, rotation: secret.rotation && { ...secret.rotation } };
  if (patch.type !== undefined) next.type = patch.type;
  if (patch.tier !== undefined) next.tier = patch.tier;
  if (patch.description !== undefined) next.description = patch.description;
  if (patch.tags !== undefined) next.tags = { ...patch.tags };
  if (patch.expiresAt !== undefined) next.expiresAt = patch.expiresAt;
  if (patch.rotation !== undefined) next.rotation = patch.rotation && { ...patch.rotation };
  if (patch.versionRetention !== undefined) next.versionRetention = patch.versionRetention && { ...patch.versionRetention };
  return next;
}

/** The secret, if it exists and is not in the trash. */
export function liveOrThrow(secret: SecretRecord | null, path: string): SecretRecord {
  if (!secret || secret.trashedAt !== null) throw secretNotFound(path);
  return secret;
}

function checkExpected(secret: SecretRecord, expected: number | null): void {
  if (expected !== null && secret.currentVersion !== expected) {
    throw new AgentVaultConflictError(
      `Secret '${secret.path}' is at version ${secret.currentVersion}, not the expected ${expected}`,
    );
  }
}

/** Metadata only (no new version). */
export function updateMetadata(
  secret: SecretRecord | null,
  path: string,
  input: { expectedCurrentVersion: number | null; patch: SecretPatch; now: number; by: string },
): SecretRecord {
  const live = liveOrThrow(secret, path);
  checkExpected(live, input.expectedCurrentVersion);
  return { ...applySecretPatch(live, input.patch), updatedAt: input.now, updatedBy: input.by };
}

/** Make an existing, unretired, non-pending version current again; `latestVersion` is unchanged. */
export function rollback(
  secret: SecretRecord | null,
  target: VersionRecord | null,
  path: string,
  input: { toVersion: number; expectedCurrentVersion: number | null; now: number; by: string },
): SecretRecord {
  const live = liveOrThrow(secret, path);
  if (!target) throw new AgentVaultNotFoundError(`Secret '${path}' has no version ${input.toVersion}`, { path });
  if (target.retiresAt !== null && target.retiresAt <= input.now)
    throw new AgentVaultGoneError(`Version ${input.toVersion} of '${path}' was rotated out and its grace period has ended`, { path });
  if (live.pendingVersion === input.toVersion)
    throw new AgentVaultConflictError(`Version ${input.toVersion} of '${path}' is pending; only a promotion makes it current`);
  checkExpected(live, input.expectedCurrentVersion);
  return { ...live, currentVersion: input.toVersion, updatedAt: input.now, updatedBy: input.by };
}

/** Into the trash (`updatedAt`/`updatedBy` unchanged). */
export function trash(secret: SecretRecord | null, path: string, input: { now: number; purgeAt: number }): SecretRecord {
  const live = liveOrThrow(secret, path);
  return { ...live, trashedAt: input.now, purgeAt: input.purgeAt };
}

/** Out of the trash. */
export function restore(secret: SecretRecord | null, path: string, input: { now: number; by: string }): SecretRecord {
  if (!secret || secret.trashedAt === null) throw secretNotFound(path);
  return { ...secret, trashedAt: null, purgeAt: null, updatedAt: input.now, updatedBy: input.by };
}

/**
 * May the secret be destroyed: it exists, and — for maintenance purging the trash (`purgeDueBy`) —
 * it is trashed with `purgeAt <= purgeDueBy`, so a secret restored meanwhile is never destroyed.
 */
export function checkDestroyable(secret: SecretRecord | null, path: string, purgeDueBy: number | null): SecretRecord {
  if (!secret) throw secretNotFound(path);
  if (purgeDueBy !== null && (secret.trashedAt === null || secret.purgeAt === null || secret.purgeAt > purgeDueBy))
    throw secretNotFound(path);
  return secret;
}

/** The pending version still waits to be promoted: nothing was written after it. A trashed secret counts. */
function checkPending(secret: SecretRecord | null, path: string, version: number, latestToo: boolean): SecretRecord {
  if (!secret || secret.pendingVersion !== version || (latestToo && secret.latestVersion !== version))
    throw new AgentVaultConflictError(`Version ${version} of '${path}' is no longer the pending version`);
  return secret;
}

/** Promote the pending version: it becomes current; the replaced one retires at `retirePreviousAt`. */
export function promote(
  secret: SecretRecord | null,
  replaced: VersionRecord | null,
  path: string,
  input: { version: number; retirePreviousAt: number; rotation: RotationPolicy | null; now: number; by: string },
): { secret: SecretRecord; replaced: VersionRecord | null } {
  const stored = checkPending(secret, path, input.version, true);
  return {
    secret: {
      ...stored,
      currentVersion: input.version,
      pendingVersion: null,
      rotation: input.rotation && { ...input.rotation },
      updatedAt: input.now,
      updatedBy: input.by,
    },
    replaced: replaced && { ...replaced, retiresAt: input.retirePreviousAt },
  };
}

/** Give up the pending version: it retires now and is never readable again. */
export function discard(
  secret: SecretRecord | null,
  pending: VersionRecord | null,
  path: string,
  input: { version: number; rotation: RotationPolicy | null; now: number },
): { secret: SecretRecord; pending: VersionRecord | null } {
  const stored = checkPending(secret, path, input.version, false);
  return {
    secret: { ...stored, pendingVersion: null, rotation: input.rotation && { ...input.rotation } },
    pending: pending && { ...pending, retiresAt: input.now },
  };
}

/**
 * Version history retention: which versions of a secret a policy lets maintenance destroy. Pure.
 *
 * A policy keeps the newest `versions` versions (by number, the current one included) and versions
 * replaced less than `days` ago; a version outside either bound is removed. A version is "replaced"
 * when the next version still stored was created (a version with no later one is never aged out).
 * Never removed, whatever the policy: the current version, a pending (staged) version, and a
 * rotated-out version still inside its grace period (`retiresAt` in the future).
 */
import type { SecretRecord, VersionInfo, VersionRetention } from '../contracts/records';

const DAY_MS = 86_400_000;

/** The policy that applies to a secret: its own, else the vault's; null = keep every version. */
export function retentionFor(secret: SecretRecord, vaultPolicy: VersionRetention | null): VersionRetention | null {
  const policy = secret.versionRetention ?? vaultPolicy;
  if (!policy || (policy.days === null && policy.versions === null)) return null;
  return policy;
}

/**
 * Whether a secret with `count` stored versions may have one to destroy under `policy`: without
 * `days`, only if it has more than the policy keeps (what `versionsToPrune` would find, without the versions).
 */
export function mayPrune(secret: SecretRecord, count: number, policy: VersionRetention | null): boolean {
  if (!policy || secret.trashedAt !== null) return false;
  return policy.days !== null || count > policy.versions!;
}

/** The version numbers to destroy now, ascending. `versions` are the ones stored (any order). */
export function versionsToPrune(
  secret: SecretRecord,
  versions: readonly Pick<VersionInfo, 'version' | 'createdAt' | 'retiresAt'>[],
  policy: VersionRetention | null,
  now: number,
): number[] {
  if (!policy || secret.trashedAt !== null) return [];
  const byNumber = [...versions].sort((a, b) => a.version - b.version);
  const newestKept = policy.versions === null ? null : new Set(byNumber.slice(-policy.versions).map((v) => v.version));
  const prune: number[] = [];
  byNumber.forEach((v, i) => {
    if (v.version === secret.currentVersion || v.version === secret.pendingVersion) return;
    if (v.retiresAt !== null && v.retiresAt > now) return;
    const replacedAt = byNumber[i + 1]?.createdAt ?? null;
    const tooOld = policy.days !== null && replacedAt !== null && replacedAt + policy.days * DAY_MS <= now;
    const tooMany = newestKept !== null && !newestKept.has(v.version);
    if (tooOld || tooMany) prune.push(v.version);
  });
  return prune;
}

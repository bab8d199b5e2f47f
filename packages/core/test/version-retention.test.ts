import { describe, expect, it } from 'vitest';
import type { SecretRecord } from '../src/contracts/records';
import { retentionFor, versionsToPrune } from '../src/domain/version-retention';

const DAY = 86_400_000;

function secret(over: Partial<SecretRecord> = {}): SecretRecord {
  return {
    tenant: 't', path: 'a/b', type: 'custom', tier: 'standard', description: null, tags: {},
    currentVersion: 5, latestVersion: 5, createdAt: 0, createdBy: 'app:x', updatedAt: 0, updatedBy: 'app:x',
    accessedAt: null, expiresAt: null, trashedAt: null, purgeAt: null, rotation: null, pendingVersion: null,
    ...over,
  };
}

/** Versions 1..n, version i created on day i. */
const history = (n: number, retiresAt: Record<number, number> = {}) =>
  Array.from({ length: n }, (_, i) => ({ version: i + 1, createdAt: (i + 1) * DAY, retiresAt: retiresAt[i + 1] ?? null }));

describe('versionsToPrune', () => {
  it('keeps the newest N, counting the current version', () => {
    expect(versionsToPrune(secret(), history(5), { days: null, versions: 2 }, 100 * DAY)).toEqual([1, 2, 3]);
    expect(versionsToPrune(secret(), history(5), { days: null, versions: 10 }, 100 * DAY)).toEqual([]);
  });

  it('ages a version from when the next one was created', () => {
    // v1 replaced on day 2, v2 on day 3, …; at day 10 with days=7: v1 (8 days), v2 (7 days) go.
    expect(versionsToPrune(secret(), history(5), { days: 7, versions: null }, 10 * DAY)).toEqual([1, 2]);
  });

  it('never removes the current, a pending or a graced version; a trashed secret is left to the trash', () => {
    const s = secret({ currentVersion: 2, latestVersion: 5, pendingVersion: 5 });
    const graced = history(5, { 3: 200 * DAY });
    expect(versionsToPrune(s, graced, { days: 1, versions: 1 }, 100 * DAY)).toEqual([1, 4]);
    expect(versionsToPrune(secret({ trashedAt: 1 }), history(5), { days: 1, versions: 1 }, 100 * DAY)).toEqual([]);
  });

  it('prunes a version outside either bound when both are set', () => {
    expect(versionsToPrune(secret(), history(5), { days: 2, versions: 4 }, 6 * DAY)).toEqual([1, 2, 3]);
  });
});

describe('retentionFor', () => {
  it('prefers the secret\'s policy, and an all-null policy keeps everything', () => {
    const vault = { days: 90, versions: null };
    expect(retentionFor(secret(), vault)).toEqual(vault);
    expect(retentionFor(secret({ versionRetention: { days: null, versions: 3 } }), vault)).toEqual({ days: null, versions: 3 });
    expect(retentionFor(secret({ versionRetention: { days: null, versions: null } }), vault)).toBeNull();
    expect(retentionFor(secret(), null)).toBeNull();
  });
});

import { memoryAdapter } from '@agentvault/adapter-memory';
import { describe, expect, it } from 'vitest';
import type { RecordKey, SecretRecord } from '../src/contracts/records';
import { testKeyWrapper } from '../src/testing/key-wrappers';
import { createVault } from '../src/vault/create-vault';
import { mayPrune, retentionFor, versionsToPrune } from '../src/domain/version-retention';
import { overriding } from './support/overriding';

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

describe('mayPrune', () => {
  it('is false only where versionsToPrune has nothing to destroy: no policy, no more versions than kept, trashed', () => {
    const versions = [1, 2, 3].map((version) => ({ version, createdAt: version * DAY, retiresAt: null }));
    const three = secret({ currentVersion: 3, latestVersion: 3 });
    for (const policy of [null, { days: null, versions: 3 }, { days: null, versions: 2 }, { days: 1, versions: null }]) {
      const any = versionsToPrune(three, versions, policy, 10 * DAY).length > 0;
      expect(mayPrune(three, 3, policy)).toBe(any);
    }
    expect(mayPrune(secret({ trashedAt: 1 }), 3, { days: 1, versions: null })).toBe(false);
  });
});

describe('maintenance: version retention at scale', () => {
  it('reads the secrets of a page of versions in one call, and prunes only those a policy can shrink', async () => {
    const memory = memoryAdapter();
    const reads: RecordKey[][] = [];
    const storage = overriding(memory, {
      getRecords: (keys: RecordKey[]) => {
        reads.push(keys);
        return memory.getRecords(keys);
      },
    });
    const vault = createVault({ storage, keys: testKeyWrapper(), logger: { warn() {}, error() {} } });
    await vault.createSecret({ path: 'a/policy', value: 'v1', versionRetention: { versions: 1 } });
    await vault.setSecret('a/policy', 'v2');
    await vault.setSecret('a/policy', 'v3');
    for (let i = 0; i < 100; i++) {
      await vault.setSecret(`b/${i}`, 'one');
      await vault.setSecret(`b/${i}`, 'two');
    }
    reads.length = 0;
    const report = await vault.runMaintenance();
    expect(report).toMatchObject({ versionsPruned: 2, errors: 0 });
    // 101 secrets with several versions: one read for the page's secrets, one for the last secret's
    // (the walk cannot know it is complete before the end), and a/policy's own prune (secret, versions).
    expect(reads.map((keys) => keys.length)).toEqual([100, 1, 3, 1]);
    expect((await vault.listVersions('a/policy')).map((v) => v.version)).toEqual([3]);
    await vault.close();
  });
});

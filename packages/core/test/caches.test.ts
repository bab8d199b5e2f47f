/** The vault's caches age by the vault's clock: moving an injected clock expires them, no sleeping. */
import { memoryAdapter } from '@agentvault/adapter-memory';
import { describe, expect, it } from 'vitest';
import { faultyStorage } from '../src/testing/faults';
import { manualClock } from '../src/testing/clock';
import { countingKeyWrapper, testKeyWrapper } from '../src/testing/key-wrappers';
import { createVault } from '../src/vault/create-vault';

describe('caches on the vault clock', () => {
  it('keeps a token record for 60 s of vault time, then reads it from storage again', async () => {
    const clock = manualClock();
    const storage = faultyStorage(memoryAdapter());
    const vault = createVault({ storage, keys: testKeyWrapper(), clock });
    await vault.setSecret('cache/a', 'value');
    const token = await vault.requestToken({ scope: 'secrets:read:cache/*' });
    const lookups = () => storage.calls.filter((call) => call === 'findCredential').length;
    await vault.getSecret('cache/a', { token: token.value! });
    const first = lookups();
    await vault.getSecret('cache/a', { token: token.value! });
    clock.advance(60_000);
    await vault.getSecret('cache/a', { token: token.value! });
    expect(lookups()).toBe(first); // cached, however long the test itself took
    clock.advance(1);
    await vault.getSecret('cache/a', { token: token.value! });
    expect(lookups()).toBe(first + 1);
  });

  it('keeps an unwrapped data key for its maximum age of vault time, then unwraps again', async () => {
    const clock = manualClock();
    const keys = countingKeyWrapper(testKeyWrapper());
    const vault = createVault({ storage: memoryAdapter(), keys, clock, dataKeyCache: { maxAgeMs: 5_000 } });
    await vault.setSecret('cache/b', 'value');
    vault.clearCaches();
    await vault.getSecret('cache/b');
    keys.reset();
    clock.advance(5_000);
    await vault.getSecret('cache/b');
    expect(keys.calls.unwrap).toBe(0);
    clock.advance(1);
    await vault.getSecret('cache/b');
    expect(keys.calls.unwrap).toBe(1);
  });
});

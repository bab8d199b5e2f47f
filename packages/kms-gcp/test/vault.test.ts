import { memoryAdapter } from '@agentvault/adapter-memory';
import { createVault } from '@agentvault/core';
import { AgentVaultNotFoundError, AgentVaultUnavailableError } from '@agentvault/core/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gcpKmsKeyWrapper } from '../src/index';
import { type GcpWorld, gcpWorld, RETRY } from './support';

const quiet = { warn() {}, error() {} };

let world: GcpWorld;
beforeEach(async () => {
  world = await gcpWorld();
});
afterEach(async () => {
  await world.close();
});

describe('a vault on the Cloud KMS wrapper', () => {
  it('works from client options alone ({ keyName, clientOptions }), creating its own client', async () => {
    const keys = gcpKmsKeyWrapper({ keyName: world.key, clientOptions: world.fake.clientOptions(world.me), retry: RETRY });
    const vault = createVault({ storage: memoryAdapter(), keys, logger: quiet });
    await vault.setSecret('app/from-options', 'configured');
    vault.clearCaches();
    expect((await vault.getSecret('app/from-options')).value).toBe('configured');
    expect(world.fake.calls).toEqual({ Encrypt: 1, Decrypt: 1 });
  });

  it('costs one Encrypt per written version, nothing for warm reads, one Decrypt for a cold read', async () => {
    const vault = createVault({ storage: memoryAdapter(), keys: world.wrapper(), logger: quiet });
    await vault.setSecret('app/api-key', 'v1');
    await vault.setSecret('app/api-key', 'v2');
    expect(world.fake.calls).toEqual({ Encrypt: 2, Decrypt: 0 });
    expect((await vault.getSecret('app/api-key', { version: 1 })).value).toBe('v1');
    expect((await vault.getSecret('app/api-key')).value).toBe('v2');
    expect(world.fake.calls.Decrypt).toBe(0);
    vault.clearCaches();
    expect((await vault.getSecret('app/api-key')).value).toBe('v2');
    expect(world.fake.calls.Decrypt).toBe(1);
  });

  it('writes nothing when Cloud KMS is down, and the secret does not exist afterwards', async () => {
    const storage = memoryAdapter();
    const vault = createVault({ storage, keys: world.wrapper(), logger: quiet });
    await vault.setSecret('app/existing', 'first');
    await world.fake.outage();
    await expect(vault.setSecret('app/new', 'value')).rejects.toBeInstanceOf(AgentVaultUnavailableError);
    await expect(vault.setSecret('app/existing', 'second')).rejects.toBeInstanceOf(
      AgentVaultUnavailableError,
    );
    await world.fake.restore();
    await expect(vault.getSecret('app/new')).rejects.toBeInstanceOf(AgentVaultNotFoundError);
    expect(await vault.getSecret('app/existing')).toMatchObject({ value: 'first', version: 1 });
    const backdoor = storage.backdoor();
    expect(await backdoor.readVersion({ tenant: 'default', path: 'app/new', version: 1 })).toBeNull();
    expect(await backdoor.readVersion({ tenant: 'default', path: 'app/existing', version: 2 })).toBeNull();
  });

  it('after Cloud KMS rotates the key: refresh, rewrap, then the old version can be disabled', async () => {
    const keys = world.wrapper();
    const vault = createVault({ storage: memoryAdapter(), keys, logger: quiet });
    for (const name of ['a', 'b', 'c']) await vault.setSecret(`app/${name}`, `value-${name}`);
    const v1 = keys.currentKeyId();
    const v2 = world.fake.rotateKey(world.key);
    await keys.refreshCurrentKey();
    world.fake.resetCalls();
    expect(await vault.rewrap()).toEqual({ rewrapped: 3, skipped: 0, keyId: v2 });
    // No server-side re-encrypt in Cloud KMS: one Decrypt and one Encrypt per data key.
    expect(world.fake.calls).toEqual({ Decrypt: 3, Encrypt: 3 });
    for (const name of ['a', 'b', 'c']) {
      expect((await vault.listVersions(`app/${name}`)).map((v) => v.keyId)).toEqual([v2]);
    }
    world.fake.setVersionState(v1, 'DISABLED');
    vault.clearCaches();
    for (const name of ['a', 'b', 'c'])
      expect((await vault.getSecret(`app/${name}`)).value).toBe(`value-${name}`);
  });
});

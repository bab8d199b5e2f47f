import { memoryAdapter } from '@agentvault/adapter-memory';
import { createVault } from '@agentvault/core';
import { AgentVaultNotFoundError, AgentVaultUnavailableError } from '@agentvault/core/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awsKmsKeyWrapper } from '../src/index';
import { type KmsWorld, kmsWorld } from './support';

const quiet = { warn() {}, error() {} };

let world: KmsWorld;
beforeEach(async () => {
  world = await kmsWorld();
});
afterEach(async () => {
  await world.close();
});

describe('a vault on the AWS KMS wrapper', () => {
  it('costs one GenerateDataKey per written version, nothing for warm reads, one Decrypt for a cold read', async () => {
    const vault = createVault({ storage: memoryAdapter(), keys: world.wrapper(), logger: quiet });
    await vault.setSecret('app/api-key', 'v1');
    await vault.setSecret('app/api-key', 'v2');
    expect(world.fake.calls).toMatchObject({ GenerateDataKey: 2, Decrypt: 0, Encrypt: 0 });
    expect((await vault.getSecret('app/api-key')).value).toBe('v2');
    expect((await vault.getSecret('app/api-key', { version: 1 })).value).toBe('v1');
    expect(world.fake.calls.Decrypt).toBe(0);
    vault.clearCaches();
    expect((await vault.getSecret('app/api-key')).value).toBe('v2');
    expect(world.fake.calls.Decrypt).toBe(1);
  });

  it('works from client settings alone ({ keyId, clientConfig }), creating its own client', async () => {
    const keys = awsKmsKeyWrapper({ keyId: world.key, clientConfig: world.fake.clientConfig(world.me) });
    const vault = createVault({ storage: memoryAdapter(), keys, logger: quiet });
    await vault.setSecret('app/from-config', 'configured');
    vault.clearCaches();
    expect((await vault.getSecret('app/from-config')).value).toBe('configured');
    expect(world.fake.calls).toMatchObject({ GenerateDataKey: 1, Decrypt: 1 });
  });

  it('writes nothing when KMS is down, and the secret does not exist afterwards', async () => {
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
    const existing = await vault.getSecret('app/existing');
    expect(existing).toMatchObject({ value: 'first', version: 1 });
    expect((await vault.listSecrets('app')).items.map((s) => s.path)).toEqual(['app/existing']);
    const backdoor = storage.backdoor();
    expect(await backdoor.readVersion({ tenant: 'default', path: 'app/new', version: 1 })).toBeNull();
    expect(await backdoor.readVersion({ tenant: 'default', path: 'app/existing', version: 2 })).toBeNull();
  });

  it('after the current key changes, old versions still read, and rewrap moves them in KMS', async () => {
    const storage = memoryAdapter();
    const before = createVault({ storage, keys: world.wrapper(world.key), logger: quiet });
    for (const name of ['a', 'b', 'c']) await before.setSecret(`app/${name}`, `value-${name}`);
    const after = createVault({ storage, keys: world.wrapper(world.newer, world.me, [world.key]), logger: quiet });
    expect((await after.getSecret('app/b')).value).toBe('value-b');
    world.fake.resetCalls();
    const result = await after.rewrap();
    expect(result).toEqual({ rewrapped: 3, skipped: 0, keyId: world.newer });
    expect(world.fake.calls).toMatchObject({ ReEncrypt: 3, Decrypt: 0, GenerateDataKey: 0 });
    for (const name of ['a', 'b', 'c']) {
      expect((await after.listVersions(`app/${name}`)).map((v) => v.keyId)).toEqual([world.newer]);
    }
    // The old key can go: everything now unwraps under the new one.
    world.fake.revoke(world.me, world.key);
    after.clearCaches();
    for (const name of ['a', 'b', 'c'])
      expect((await after.getSecret(`app/${name}`)).value).toBe(`value-${name}`);
    expect((await after.rewrap()).rewrapped).toBe(0);
  });
});

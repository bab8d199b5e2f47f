/**
 * Key names come from storage (issue 19, finding 9): a stored row may name only a version of the
 * configured CryptoKey or of `previousKeyNames`. Any other key — even one this principal may use —
 * is refused as an integrity failure, never retried, without a Cloud KMS call.
 */
import { randomBytes } from 'node:crypto';
import type { EncryptionContext } from '@agentvault/core';
import { AgentVaultConfigurationError, AgentVaultIntegrityError, isRetryable } from '@agentvault/core/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GcpWorld, gcpWorld } from './support';

const context: EncryptionContext = { tenant: 'default', path: 'production/db/password', version: '1' };

let world: GcpWorld;
beforeEach(async () => {
  world = await gcpWorld();
});
afterEach(async () => {
  await world.close();
});

describe('gcp-kms accepts only configured keys in stored rows', () => {
  it('refuses a row pointed at another CryptoKey this principal may use: integrity failure, no KMS call', async () => {
    const planted = await world.wrapper(world.second).wrap(randomBytes(32), context);
    const wrapper = world.wrapper(world.key);
    world.fake.resetCalls();
    const error = await wrapper.unwrap(planted, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentVaultIntegrityError);
    expect(isRetryable(error)).toBe(false);
    expect((error as Error).message).toContain(planted.keyId);
    // A key name that is not a version name at all is refused the same way.
    await expect(wrapper.unwrap({ ...planted, keyId: world.key }, context)).rejects.toBeInstanceOf(AgentVaultIntegrityError);
    await expect(wrapper.unwrap({ ...planted, keyId: 'not-a-key' }, context)).rejects.toBeInstanceOf(AgentVaultIntegrityError);
    expect(world.fake.totalCalls()).toBe(0);
  });

  it('accepts every version of the configured key (Cloud KMS rotation) and of previousKeyNames', async () => {
    const dataKey = randomBytes(32);
    const v1 = await world.wrapper().wrap(dataKey, context);
    world.fake.rotateKey(world.key);
    const wrapper = world.wrapper();
    expect(Buffer.from(await wrapper.unwrap(v1, context))).toEqual(dataKey);
    expect((await wrapper.wrap(randomBytes(32), context)).keyId).not.toBe(v1.keyId);

    const moved = world.wrapper(world.second, world.me, { previousKeyNames: [world.key] });
    expect(Buffer.from(await moved.unwrap(v1, context))).toEqual(dataKey);
    await expect(world.wrapper(world.second).unwrap(v1, context)).rejects.toBeInstanceOf(AgentVaultIntegrityError);
  });

  it('a single version in previousKeyNames accepts that version only', async () => {
    const v1 = await world.wrapper().wrap(randomBytes(32), context);
    world.fake.rotateKey(world.key);
    const v2 = await world.wrapper().wrap(randomBytes(32), context);
    const pinned = world.wrapper(world.second, world.me, { previousKeyNames: [v1.keyId] });
    expect(await pinned.unwrap(v1, context)).toHaveLength(32);
    await expect(pinned.unwrap(v2, context)).rejects.toBeInstanceOf(AgentVaultIntegrityError);
  });

  it('refuses a previousKeyNames entry that is not a Cloud KMS key name', () => {
    expect(() => world.wrapper(world.key, world.me, { previousKeyNames: ['alias/x'] })).toThrow(AgentVaultConfigurationError);
  });
});

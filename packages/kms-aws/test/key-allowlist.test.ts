/**
 * Key ids come from storage (issue 19, finding 9): a stored row may name only the configured key
 * or one of `previousKeyIds`. Any other key — even one this principal may use — is refused as an
 * integrity failure, never retried, without a KMS call.
 */
import { randomBytes } from 'node:crypto';
import type { EncryptionContext } from '@agentvault/core';
import { AgentVaultConfigurationError, AgentVaultIntegrityError, isRetryable } from '@agentvault/core/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type KmsWorld, kmsWorld } from './support';

const context: EncryptionContext = { tenant: 'default', path: 'production/db/password', version: '1' };

let world: KmsWorld;
beforeEach(async () => {
  world = await kmsWorld();
});
afterEach(async () => {
  await world.close();
});

describe('aws-kms accepts only configured keys in stored rows', () => {
  it('refuses a row pointed at another key this principal may use: integrity failure, no KMS call', async () => {
    // A database writer's doing: a data key they know, wrapped under a key we can also decrypt with.
    const planted = await world.wrapper(world.newer).wrap(randomBytes(32), context);
    expect(planted.keyId).toBe(world.newer);
    const wrapper = world.wrapper(world.key);
    world.fake.resetCalls();
    const error = await wrapper.unwrap(planted, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentVaultIntegrityError);
    expect(isRetryable(error)).toBe(false);
    expect((error as Error).message).toContain(world.newer);
    await expect(wrapper.rewrap(planted, context)).rejects.toBeInstanceOf(AgentVaultIntegrityError);
    expect(world.fake.calls).toMatchObject({ Decrypt: 0, ReEncrypt: 0, Encrypt: 0 });
  });

  it('accepts the current key and previousKeyIds, given as ARNs or bare key ids', async () => {
    const dataKey = randomBytes(32);
    const old = await world.wrapper(world.key).wrap(dataKey, context);
    const byArn = world.wrapper(world.newer, world.me, [world.key]);
    expect(Buffer.from(await byArn.unwrap(old, context))).toEqual(dataKey);
    const bareId = world.key.split('/').at(-1)!;
    const byId = world.wrapper(world.newer, world.me, [bareId]);
    expect(Buffer.from(await byId.unwrap(old, context))).toEqual(dataKey);
    expect(byId.allowedKeyIds()).toEqual(expect.arrayContaining([world.newer, bareId]));
    // Without the previous key listed, the same row is refused.
    await expect(world.wrapper(world.newer).unwrap(old, context)).rejects.toBeInstanceOf(AgentVaultIntegrityError);
  });

  it('with an alias, accepts what the alias resolves to, asking KMS at most once a minute', async () => {
    const alias = world.fake.setAlias('agentvault-allow', world.key);
    const dataKey = randomBytes(32);
    const wrapped = await world.wrapper(world.key).wrap(dataKey, context);
    const fresh = world.wrapper(alias);
    world.fake.resetCalls();
    expect(Buffer.from(await fresh.unwrap(wrapped, context))).toEqual(dataKey);
    expect(world.fake.calls).toMatchObject({ Encrypt: 1, Decrypt: 1 }); // one probe resolved the alias
    expect(Buffer.from(await fresh.unwrap(wrapped, context))).toEqual(dataKey);
    expect(world.fake.calls).toMatchObject({ Encrypt: 1, Decrypt: 2 });

    // Rows naming keys the alias never pointed at stay refused, and do not make it ask again.
    const planted = await world.wrapper(world.newer).wrap(randomBytes(32), context);
    world.fake.resetCalls();
    for (let i = 0; i < 5; i++)
      await expect(fresh.unwrap(planted, context)).rejects.toBeInstanceOf(AgentVaultIntegrityError);
    expect(world.fake.calls).toMatchObject({ Encrypt: 0, Decrypt: 0 });

    // After the alias moves, a fresh instance needs the old key listed to read what it wrapped.
    world.fake.setAlias('agentvault-allow', world.newer);
    await expect(world.wrapper(alias).unwrap(wrapped, context)).rejects.toBeInstanceOf(AgentVaultIntegrityError);
    const listed = world.wrapper(alias, world.me, [world.key]);
    expect(Buffer.from(await listed.unwrap(wrapped, context))).toEqual(dataKey);
  });

  it('refuses an alias among previousKeyIds (an alias moves; a stored row names a key)', () => {
    expect(() => world.wrapper(world.key, world.me, ['alias/old'])).toThrow(AgentVaultConfigurationError);
  });
});

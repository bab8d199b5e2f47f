import { randomBytes } from 'node:crypto';
import type { EncryptionContext } from '@agentvault/core';
import {
  AgentVaultConfigurationError,
  AgentVaultError,
  AgentVaultIntegrityError,
  AgentVaultUnavailableError,
  isRetryable,
} from '@agentvault/core/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awsKmsKeyWrapper } from '../src/index';
import { type KmsWorld, kmsWorld, MAX_ATTEMPTS } from './support';

const context: EncryptionContext = { tenant: 'default', path: 'production/db/password', version: '1' };

let world: KmsWorld;
beforeEach(async () => {
  world = await kmsWorld();
});
afterEach(async () => {
  await world.close();
});

async function failure(promise: Promise<unknown>): Promise<AgentVaultError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentVaultError);
  return error as AgentVaultError;
}

describe('retryable failures', () => {
  it('retries a throttled call and succeeds within the attempt budget', async () => {
    const wrapper = world.wrapper();
    world.fake.throttleNext(MAX_ATTEMPTS - 1);
    const { dataKey, wrapped } = await wrapper.generateDataKey(context);
    expect(world.fake.calls.GenerateDataKey).toBe(MAX_ATTEMPTS);
    expect(Buffer.from(await wrapper.unwrap(wrapped, context))).toEqual(Buffer.from(dataKey));
  });

  it('reports throttling past the attempt budget as unavailable, with the cause', async () => {
    const wrapper = world.wrapper();
    const { wrapped } = await wrapper.generateDataKey(context);
    world.fake.throttleNext(MAX_ATTEMPTS);
    const error = await failure(wrapper.unwrap(wrapped, context));
    expect(error).toBeInstanceOf(AgentVaultUnavailableError);
    expect(isRetryable(error)).toBe(true);
    expect((error.cause as Error).name).toBe('ThrottlingException');
    expect(error.message).toContain(world.key);
    expect(world.fake.calls.Decrypt).toBe(MAX_ATTEMPTS);
  });

  for (const fault of [
    'KMSInternalException',
    'DependencyTimeoutException',
    'KeyUnavailableException',
  ] as const) {
    it(`retries ${fault} and then reports it as unavailable`, async () => {
      const wrapper = world.wrapper();
      world.fake.failNext(1, fault);
      await wrapper.generateDataKey(context);
      expect(world.fake.calls.GenerateDataKey).toBe(2);
      world.fake.failNext(MAX_ATTEMPTS, fault);
      const error = await failure(wrapper.generateDataKey(context));
      expect(error).toBeInstanceOf(AgentVaultUnavailableError);
      expect((error.cause as Error).name).toBe(fault);
    });
  }

  it('reports a timeout as unavailable', async () => {
    const wrapper = awsKmsKeyWrapper({
      keyId: world.key,
      client: world.client(world.me, {
        requestHandler: { requestTimeout: 50, throwOnRequestTimeout: true },
      }),
    });
    world.fake.latencyMs = 300;
    const error = await failure(wrapper.generateDataKey(context));
    expect(error).toBeInstanceOf(AgentVaultUnavailableError);
    expect((error.cause as Error).name).toBe('TimeoutError');
  });

  it('reports an outage (connection refused) as unavailable, and works again when KMS is back', async () => {
    const wrapper = world.wrapper();
    const { dataKey, wrapped } = await wrapper.generateDataKey(context);
    await world.fake.outage();
    const error = await failure(wrapper.unwrap(wrapped, context));
    expect(error).toBeInstanceOf(AgentVaultUnavailableError);
    expect((error.cause as { code?: string }).code).toMatch(/^ECONN(REFUSED|RESET)$/);
    await world.fake.restore();
    expect(Buffer.from(await wrapper.unwrap(wrapped, context))).toEqual(Buffer.from(dataKey));
  });

  it('reports a response corrupted on the way as unavailable and returns no key', async () => {
    const wrapper = world.wrapper();
    world.fake.corruptNext(1);
    const error = await failure(wrapper.generateDataKey(context));
    expect(error).toBeInstanceOf(AgentVaultUnavailableError);
    expect(error.message).toContain('could not be read');
  });
});

describe('integrity failures (never retried)', () => {
  it('refuses a data key under another encryption context, in one call', async () => {
    const wrapper = world.wrapper();
    const { wrapped } = await wrapper.generateDataKey(context);
    world.fake.resetCalls();
    const error = await failure(wrapper.unwrap(wrapped, { ...context, path: 'production/db/other' }));
    expect(error).toBeInstanceOf(AgentVaultIntegrityError);
    expect(isRetryable(error)).toBe(false);
    expect((error.cause as Error).name).toBe('InvalidCiphertextException');
    expect(world.fake.calls.Decrypt).toBe(1);
  });

  it('refuses a wrapped key whose recorded key id was swapped for another usable, allowed key (KMS checks)', async () => {
    const wrapper = world.wrapper(world.key, world.me, [world.newer]);
    const { wrapped } = await wrapper.generateDataKey(context);
    const error = await failure(wrapper.unwrap({ ...wrapped, keyId: world.newer }, context));
    expect(error).toBeInstanceOf(AgentVaultIntegrityError);
    expect((error.cause as Error).name).toBe('IncorrectKeyException');
  });

  it('refuses to re-wrap under another context', async () => {
    const wrapper = world.wrapper(world.newer, world.me, [world.key]);
    const { wrapped } = await world.wrapper().generateDataKey(context);
    const error = await failure(wrapper.rewrap(wrapped, { ...context, version: '2' }));
    expect(error).toBeInstanceOf(AgentVaultIntegrityError);
  });
});

describe('configuration failures name the key', () => {
  it('access denied to the current key', async () => {
    const error = await failure(world.wrapper(world.foreignKey).generateDataKey(context));
    expect(error).toBeInstanceOf(AgentVaultConfigurationError);
    expect(error.message).toContain(world.foreignKey);
    expect(error.message).toContain('AccessDeniedException');
    expect(error.message).toContain('kms:GenerateDataKey');
  });

  it('access to an older key revoked: its data keys no longer unwrap', async () => {
    const { wrapped } = await world.wrapper().generateDataKey(context);
    world.fake.revoke(world.me, world.key);
    const error = await failure(world.wrapper(world.newer, world.me, [world.key]).unwrap(wrapped, context));
    expect(error).toBeInstanceOf(AgentVaultConfigurationError);
    expect(error.message).toContain(world.key);
  });

  it('a disabled key, a key pending deletion, a key that does not exist', async () => {
    const wrapper = world.wrapper();
    const { wrapped } = await wrapper.generateDataKey(context);
    world.fake.setKeyState(world.key, 'Disabled');
    expect((await failure(wrapper.unwrap(wrapped, context))).message).toContain('DisabledException');
    world.fake.setKeyState(world.key, 'PendingDeletion');
    const pending = await failure(wrapper.generateDataKey(context));
    expect(pending).toBeInstanceOf(AgentVaultConfigurationError);
    expect(pending.message).toContain('KMSInvalidStateException');
    const missing = world.key.replace(/key\/.*/, 'key/00000000-0000-0000-0000-000000000000');
    const error = await failure(world.wrapper(missing).generateDataKey(context));
    expect(error).toBeInstanceOf(AgentVaultConfigurationError);
    expect(error.message).toContain(missing);
    expect(error.message).toContain('NotFoundException');
  });

  it('credentials KMS does not recognise, or a wrong secret key', async () => {
    const unknown = { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x'.repeat(40) };
    const error = await failure(world.wrapper(world.key, unknown).generateDataKey(context));
    expect(error).toBeInstanceOf(AgentVaultConfigurationError);
    expect(error.message).toContain('UnrecognizedClientException');
    const badSecret = { accessKeyId: world.me.accessKeyId, secretAccessKey: 'y'.repeat(40) };
    const signature = await failure(world.wrapper(world.key, badSecret).generateDataKey(context));
    expect(signature).toBeInstanceOf(AgentVaultConfigurationError);
    expect(signature.message).toContain('InvalidSignatureException');
    expect(signature.message).not.toContain(badSecret.secretAccessKey);
  });

  it('no key id configured', () => {
    expect(() => awsKmsKeyWrapper({ keyId: ' ', client: world.client() })).toThrow(
      AgentVaultConfigurationError,
    );
  });
});

describe('what the wrapper records', () => {
  it('records the key ARN KMS answered with, also when configured by alias, and never the data key', async () => {
    const alias = world.fake.setAlias('agentvault-records', world.key);
    const wrapper = world.wrapper(alias);
    expect(wrapper.currentKeyId()).toBe(alias);
    const dataKey = randomBytes(32);
    const wrapped = await wrapper.wrap(dataKey, context);
    expect(wrapped.keyId).toBe(world.key);
    expect(wrapper.currentKeyId()).toBe(world.key);
    expect(Buffer.from(wrapped.ciphertext).includes(dataKey)).toBe(false);
    world.fake.setAlias('agentvault-records', world.newer);
    const { wrapped: next } = await wrapper.generateDataKey(context);
    expect(next.keyId).toBe(world.newer);
    expect(wrapper.currentKeyId()).toBe(world.newer);
    expect(Buffer.from(await wrapper.unwrap(wrapped, context))).toEqual(dataKey);
  });
});

import { randomBytes } from 'node:crypto';
import { canonicalContext, type EncryptionContext } from '@agentvault/core';
import {
  AgentVaultConfigurationError,
  AgentVaultError,
  AgentVaultIntegrityError,
  AgentVaultUnavailableError,
  isRetryable,
} from '@agentvault/core/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crc32cOf, GcpKmsKeyWrapper, gcpKmsKeyWrapper, kmsClientOperations } from '../src/index';
import type { Corruption } from './fake-kms-server';
import { type GcpWorld, gcpWorld, RETRY } from './support';

const context: EncryptionContext = { tenant: 'default', path: 'production/db/password', version: '1' };

let world: GcpWorld;
beforeEach(async () => {
  world = await gcpWorld();
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

const grpcCode = (error: AgentVaultError) => (error.cause as { code?: number }).code;

describe('CRC32C', () => {
  it('is the Castagnoli checksum (check value of "123456789")', () => {
    expect(crc32cOf(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32cOf(new Uint8Array(0))).toBe(0);
  });

  for (const kind of ['data', 'crc', 'unverified', 'request'] as Corruption[]) {
    it(`detects a damaged Encrypt exchange (${kind}), discards it and retries`, async () => {
      const wrapper = world.wrapper();
      const dataKey = randomBytes(32);
      world.fake.corruptNext(1, kind);
      const wrapped = await wrapper.wrap(dataKey, context);
      expect(world.fake.calls.Encrypt).toBe(2);
      expect(Buffer.from(await wrapper.unwrap(wrapped, context))).toEqual(dataKey);
    });
  }

  for (const kind of ['data', 'crc', 'request'] as Corruption[]) {
    it(`detects a damaged Decrypt exchange (${kind}), discards it and retries`, async () => {
      const wrapper = world.wrapper();
      const dataKey = randomBytes(32);
      const wrapped = await wrapper.wrap(dataKey, context);
      world.fake.corruptNext(1, kind);
      expect(Buffer.from(await wrapper.unwrap(wrapped, context))).toEqual(dataKey);
      expect(world.fake.calls.Decrypt).toBe(2);
    });
  }

  it('never returns data that keeps failing its checksum: integrity error after the attempt budget', async () => {
    const wrapper = world.wrapper();
    const wrapped = await wrapper.wrap(randomBytes(32), context);
    world.fake.corruptNext(RETRY.maxAttempts, 'data');
    const error = await failure(wrapper.unwrap(wrapped, context));
    expect(error).toBeInstanceOf(AgentVaultIntegrityError);
    expect(error.message).toContain('CRC32C');
    expect(error.message).toContain(wrapped.keyId);
    expect(world.fake.calls.Decrypt).toBe(RETRY.maxAttempts);
    world.fake.corruptNext(RETRY.maxAttempts, 'crc');
    expect(await failure(wrapper.wrap(randomBytes(32), context))).toBeInstanceOf(AgentVaultIntegrityError);
  });
  it('rejects an answer that carries no checksum at all (wrapper on a plain operations object)', async () => {
    const real = kmsClientOperations(world.client());
    let encrypts = 0;
    const wrapper = new GcpKmsKeyWrapper({
      keyName: world.key,
      retry: RETRY,
      kms: {
        encrypt: async (request) => {
          encrypts++;
          return { ...(await real.encrypt(request)), ciphertextCrc32c: null };
        },
        decrypt: (request) => real.decrypt(request),
      },
    });
    expect(await failure(wrapper.wrap(randomBytes(32), context))).toBeInstanceOf(AgentVaultIntegrityError);
    expect(encrypts).toBe(RETRY.maxAttempts);
  });
});

describe('retryable failures', () => {
  it('retries a throttled call (RESOURCE_EXHAUSTED) and succeeds within the attempt budget', async () => {
    const wrapper = world.wrapper();
    const dataKey = randomBytes(32);
    world.fake.throttleNext(RETRY.maxAttempts - 1);
    const wrapped = await wrapper.wrap(dataKey, context);
    expect(world.fake.calls.Encrypt).toBe(RETRY.maxAttempts);
    expect(Buffer.from(await wrapper.unwrap(wrapped, context))).toEqual(dataKey);
  });

  it('reports throttling past the attempt budget as unavailable, with the cause', async () => {
    const wrapper = world.wrapper();
    const wrapped = await wrapper.wrap(randomBytes(32), context);
    world.fake.throttleNext(RETRY.maxAttempts);
    const error = await failure(wrapper.unwrap(wrapped, context));
    expect(error).toBeInstanceOf(AgentVaultUnavailableError);
    expect(isRetryable(error)).toBe(true);
    expect(grpcCode(error)).toBe(8);
    expect(error.message).toContain('RESOURCE_EXHAUSTED');
    expect(error.message).toContain(wrapped.keyId);
    expect(world.fake.calls.Decrypt).toBe(RETRY.maxAttempts);
  });

  for (const code of ['UNAVAILABLE', 'INTERNAL', 'ABORTED'] as const) {
    it(`retries ${code} and then reports it as unavailable`, async () => {
      const wrapper = world.wrapper();
      world.fake.failNext(1, code);
      await wrapper.wrap(randomBytes(32), context);
      expect(world.fake.calls.Encrypt).toBe(2);
      world.fake.failNext(RETRY.maxAttempts, code);
      const error = await failure(wrapper.wrap(randomBytes(32), context));
      expect(error).toBeInstanceOf(AgentVaultUnavailableError);
      expect(error.message).toContain(code);
    });
  }

  it('reports a deadline exceeded as unavailable', async () => {
    const wrapper = world.wrapper(world.key, world.me, { timeoutMs: 50 });
    world.fake.latencyMs = 300;
    const error = await failure(wrapper.wrap(randomBytes(32), context));
    expect(error).toBeInstanceOf(AgentVaultUnavailableError);
    expect(grpcCode(error)).toBe(4);
  });

  it('reports an outage as unavailable, and works again when Cloud KMS is back', async () => {
    const wrapper = world.wrapper(world.key, world.me, {
      retry: { maxAttempts: 6, baseDelayMs: 50, maxDelayMs: 400 },
    });
    const dataKey = randomBytes(32);
    const wrapped = await wrapper.wrap(dataKey, context);
    await world.fake.outage();
    const error = await failure(wrapper.unwrap(wrapped, context));
    expect(error).toBeInstanceOf(AgentVaultUnavailableError);
    expect(grpcCode(error)).toBe(14);
    await world.fake.restore();
    expect(Buffer.from(await wrapper.unwrap(wrapped, context))).toEqual(dataKey);
  });
});

describe('integrity failures (never retried)', () => {
  it('refuses a data key under another context, in one call', async () => {
    const wrapper = world.wrapper();
    const wrapped = await wrapper.wrap(randomBytes(32), context);
    world.fake.resetCalls();
    const error = await failure(wrapper.unwrap(wrapped, { ...context, tenant: 'other' }));
    expect(error).toBeInstanceOf(AgentVaultIntegrityError);
    expect(isRetryable(error)).toBe(false);
    expect(grpcCode(error)).toBe(3);
    expect(world.fake.calls.Decrypt).toBe(1);
  });

  it('refuses a wrapped key whose recorded version was swapped for another allowed key it may use (Cloud KMS checks)', async () => {
    const wrapper = world.wrapper(world.key, world.me, { previousKeyNames: [world.second] });
    const wrapped = await wrapper.wrap(randomBytes(32), context);
    const other = await world.wrapper(world.second).wrap(randomBytes(32), context);
    const error = await failure(wrapper.unwrap({ ...wrapped, keyId: other.keyId }, context));
    expect(error).toBeInstanceOf(AgentVaultIntegrityError);
    expect(world.fake.calls.Decrypt).toBe(1);
  });
});

describe('configuration failures name the key', () => {
  it('permission denied on the current key', async () => {
    const error = await failure(world.wrapper(world.foreignKey).wrap(randomBytes(32), context));
    expect(error).toBeInstanceOf(AgentVaultConfigurationError);
    expect(error.message).toContain(world.foreignKey);
    expect(error.message).toContain('PERMISSION_DENIED');
    expect(error.message).toContain('cloudkms.cryptoKeyVersions.useToEncrypt');
    expect(world.fake.calls.Encrypt).toBe(1);
  });

  it('access to an older key revoked: its data keys no longer unwrap', async () => {
    const wrapped = await world.wrapper().wrap(randomBytes(32), context);
    world.fake.revoke(world.me, world.key);
    const rotated = world.wrapper(world.second, world.me, { previousKeyNames: [world.key] });
    const error = await failure(rotated.unwrap(wrapped, context));
    expect(error).toBeInstanceOf(AgentVaultConfigurationError);
    expect(error.message).toContain(wrapped.keyId);
  });

  it('a disabled or destroyed key version, a key that does not exist, unknown credentials', async () => {
    const wrapper = world.wrapper();
    const wrapped = await wrapper.wrap(randomBytes(32), context);
    world.fake.setVersionState(wrapped.keyId, 'DISABLED');
    const disabled = await failure(wrapper.unwrap(wrapped, context));
    expect(disabled).toBeInstanceOf(AgentVaultConfigurationError);
    expect(disabled.message).toContain('FAILED_PRECONDITION');
    expect(disabled.message).toContain(wrapped.keyId);
    world.fake.setVersionState(wrapped.keyId, 'DESTROYED');
    expect(await failure(wrapper.wrap(randomBytes(32), context))).toBeInstanceOf(
      AgentVaultConfigurationError,
    );

    const missing = `${world.fake.keyRing('agentvault')}/cryptoKeys/never-created`;
    world.fake.grant(world.me, missing);
    const notFound = await failure(world.wrapper(missing).wrap(randomBytes(32), context));
    expect(notFound).toBeInstanceOf(AgentVaultConfigurationError);
    expect(notFound.message).toContain('NOT_FOUND');

    const nobody = { email: 'nobody@example.com', token: 'ya29.not-a-token' };
    const unauthenticated = await failure(world.wrapper(world.key, nobody).wrap(randomBytes(32), context));
    expect(unauthenticated).toBeInstanceOf(AgentVaultConfigurationError);
    expect(unauthenticated.message).toContain('UNAUTHENTICATED');
    expect(unauthenticated.message).not.toContain(nobody.token);
  });

  it('a key name that is not a Cloud KMS resource name; a stored key id that is not one is an integrity failure', async () => {
    expect(() => gcpKmsKeyWrapper({ keyName: 'data-keys', client: world.client() })).toThrow(
      AgentVaultConfigurationError,
    );
    const error = await failure(
      world
        .wrapper()
        .unwrap({ keyId: 'arn:aws:kms:us-east-1:1:key/x', ciphertext: randomBytes(40) }, context),
    );
    expect(error).toBeInstanceOf(AgentVaultIntegrityError);
    expect(world.fake.calls.Decrypt).toBe(0);
  });
});

describe('what the wrapper records and sends', () => {
  it('records the CryptoKeyVersion used, follows rotations, and still unwraps older versions', async () => {
    const wrapper = world.wrapper();
    expect(wrapper.currentKeyId()).toBe(world.key);
    const dataKey = randomBytes(32);
    const wrapped = await wrapper.wrap(dataKey, context);
    expect(wrapped.keyId).toBe(`${world.key}/cryptoKeyVersions/1`);
    expect(wrapper.currentKeyId()).toBe(wrapped.keyId);
    const v2 = world.fake.rotateKey(world.key);
    expect(await wrapper.refreshCurrentKey()).toBe(v2);
    const next = await wrapper.wrap(randomBytes(32), context);
    expect(next.keyId).toBe(v2);
    expect(Buffer.from(await wrapper.unwrap(wrapped, context))).toEqual(dataKey);
  });

  it('a pinned CryptoKeyVersion is used even after a rotation', async () => {
    const v1 = world.fake.primaryVersion(world.key);
    world.fake.rotateKey(world.key);
    const wrapper = world.wrapper(v1);
    expect((await wrapper.wrap(randomBytes(32), context)).keyId).toBe(v1);
  });

  it('binds the canonical context bytes as AAD: any Cloud KMS client can decrypt with them', async () => {
    const dataKey = randomBytes(32);
    const wrapped = await world.wrapper().wrap(dataKey, context);
    const [response] = await world.client().decrypt({
      name: world.key,
      ciphertext: wrapped.ciphertext,
      additionalAuthenticatedData: canonicalContext({ version: '1', path: context.path!, tenant: 'default' }),
    });
    expect(Buffer.from(response.plaintext as Uint8Array)).toEqual(dataKey);
  });
});

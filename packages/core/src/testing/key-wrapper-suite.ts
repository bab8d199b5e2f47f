import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncryptionContext, KeyWrapper } from '../contracts/key-wrapper';
import { guardKeyWrapper } from '../crypto/guarded-key-wrapper';
import { AgentVaultIntegrityError } from '../errors';

export interface KeyWrapperFixture {
  wrapper: KeyWrapper;
  /** Another instance configured with the same keys (a second process, say). */
  twin(): KeyWrapper | Promise<KeyWrapper>;
  /** An instance that holds the same keys plus a newer current one. */
  rotated(): KeyWrapper | Promise<KeyWrapper>;
  /** An instance whose keys are unknown to `wrapper` (a different key or key ring). */
  stranger(): KeyWrapper | Promise<KeyWrapper>;
  close?(): Promise<void> | void;
}

export type KeyWrapperFactory = () => KeyWrapperFixture | Promise<KeyWrapperFixture>;

const context: EncryptionContext = { tenant: 'default', path: 'production/openai/api-key', version: '3' };

function flip(bytes: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[index % copy.length]! ^= 0x80;
  return copy;
}

/**
 * The key-wrapper conformance suite: every MUST of the KeyWrapper contract, run through the
 * vault's guard exactly as the vault calls it.
 */
export function runKeyWrapperConformance(name: string, factory: KeyWrapperFactory): void {
  describe(`key wrapper conformance: ${name}`, () => {
    let fixture: KeyWrapperFixture;
    beforeAll(async () => {
      fixture = await factory();
    }, 60_000);
    afterAll(async () => {
      await fixture?.close?.();
    });
    const guarded = () => guardKeyWrapper(fixture.wrapper);

    it('wraps and unwraps a data key under the current key id', async () => {
      const dataKey = randomBytes(32);
      const wrapped = await guarded().wrap(dataKey, context);
      expect(wrapped.keyId).toBe(fixture.wrapper.currentKeyId());
      expect(Buffer.from(wrapped.ciphertext).includes(dataKey)).toBe(false);
      expect(Buffer.from(await guarded().unwrap(wrapped, context))).toEqual(dataKey);
    });

    it('generates a fresh data key whose wrapped form unwraps to it', async () => {
      const a = await guarded().generateDataKey(context);
      const b = await guarded().generateDataKey(context);
      expect(a.dataKey).toHaveLength(32);
      expect(Buffer.from(a.dataKey)).not.toEqual(Buffer.from(b.dataKey));
      expect(Buffer.from(await guarded().unwrap(a.wrapped, context))).toEqual(Buffer.from(a.dataKey));
    });

    it('refuses to unwrap under any other context', async () => {
      const wrapped = await guarded().wrap(randomBytes(32), context);
      const others: EncryptionContext[] = [
        { ...context, tenant: 'other' },
        { ...context, path: 'production/openai/api-key2' },
        { ...context, version: '4' },
        { ...context, extra: 'field' },
        { tenant: context.tenant!, path: context.path! },
      ];
      for (const other of others) {
        await expect(guarded().unwrap(wrapped, other)).rejects.toBeInstanceOf(AgentVaultIntegrityError);
      }
    });

    it('refuses an altered or truncated wrapped key', async () => {
      const wrapped = await guarded().wrap(randomBytes(32), context);
      for (const index of [0, 7, wrapped.ciphertext.length - 1]) {
        await expect(
          guarded().unwrap({ ...wrapped, ciphertext: flip(wrapped.ciphertext, index) }, context),
        ).rejects.toBeInstanceOf(AgentVaultIntegrityError);
      }
      await expect(
        guarded().unwrap(
          { ...wrapped, ciphertext: wrapped.ciphertext.subarray(0, wrapped.ciphertext.length - 3) },
          context,
        ),
      ).rejects.toBeInstanceOf(AgentVaultIntegrityError);
    });

    it('unwraps in a second instance with the same keys', async () => {
      const dataKey = randomBytes(32);
      const wrapped = await guarded().wrap(dataKey, context);
      expect(Buffer.from(await guardKeyWrapper(await fixture.twin()).unwrap(wrapped, context))).toEqual(
        dataKey,
      );
    });

    it('refuses a stored key id it was not configured with: an integrity failure naming the key', async () => {
      const foreign = await guardKeyWrapper(await fixture.stranger()).wrap(randomBytes(32), context);
      const error = await guarded()
        .unwrap(foreign, context)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AgentVaultIntegrityError);
      expect((error as Error).message).toContain(foreign.keyId);
      // The same for a row of ours whose key id was rewritten, and for a rewrap.
      const ours = await guarded().wrap(randomBytes(32), context);
      await expect(guarded().unwrap({ ...ours, keyId: foreign.keyId }, context)).rejects.toBeInstanceOf(
        AgentVaultIntegrityError,
      );
      await expect(guarded().rewrap(foreign, context)).rejects.toBeInstanceOf(AgentVaultIntegrityError);
    });

    it('re-wraps under a newer key, and still unwraps what the older key wrapped', async () => {
      const dataKey = randomBytes(32);
      const old = await guarded().wrap(dataKey, context);
      const rotated = guardKeyWrapper(await fixture.rotated());
      expect(rotated.currentKeyId()).not.toBe(old.keyId);
      expect(Buffer.from(await rotated.unwrap(old, context))).toEqual(dataKey);
      const moved = await rotated.rewrap(old, context);
      expect(moved.keyId).toBe(rotated.currentKeyId());
      expect(Buffer.from(await rotated.unwrap(moved, context))).toEqual(dataKey);
      await expect(rotated.rewrap(old, { ...context, version: '9' })).rejects.toBeInstanceOf(
        AgentVaultIntegrityError,
      );
    });
  });
}

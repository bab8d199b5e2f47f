/**
 * The key-wrapping contract: a KeyWrapper protects data keys (DEKs) with a key-encryption key it
 * holds or reaches (a local keyring, AWS KMS, Google Cloud KMS). The vault calls it through a guard
 * (crypto/guarded-key-wrapper) that checks every pre- and post-condition below, so an
 * implementation only does the wrapping.
 *
 * Errors a wrapper throws (classes from `@agentvault/core/errors`):
 * - AgentVaultUnavailableError (with `cause`): throttled, timed out, unreachable — retryable;
 * - AgentVaultIntegrityError: the ciphertext was altered or the context differs — never retried;
 * - AgentVaultConfigurationError: unknown key id, access denied, disabled key — names the key.
 *
 * The conformance suite (`runKeyWrapperConformance`) checks every MUST.
 */
import type { WrappedKey } from './records';

/**
 * What a data key is bound to: `{ tenant, path, version }` for secret versions. Wrapping and
 * unwrapping MUST use the same context, or unwrapping fails with an integrity error.
 * Canonical bytes for services that take opaque AAD: `canonicalContext()` in crypto/context.
 */
export type EncryptionContext = Readonly<Record<string, string>>;

export interface KeyWrapper {
  /** Short name for errors ("local", "aws-kms", "gcp-kms"). */
  readonly name: string;

  /** The key id new data keys are wrapped under. */
  currentKeyId(): string;

  /**
   * Wrap a 32-byte data key under the current key, bound to `context`.
   * MUST return the id of the key used; MUST NOT return the data key in the clear.
   */
  wrap(dataKey: Uint8Array, context: EncryptionContext): Promise<WrappedKey>;

  /**
   * Unwrap a key wrapped by this wrapper or another instance holding the same keys, under any key
   * id it still holds (not only the current one). MUST throw AgentVaultIntegrityError if the bytes
   * were altered or `context` differs from the one used to wrap, and AgentVaultConfigurationError
   * naming the key if it does not hold `wrapped.keyId`.
   */
  unwrap(wrapped: WrappedKey, context: EncryptionContext): Promise<Uint8Array>;

  /** Optional: make a fresh random 32-byte data key and its wrapped form in one call (AWS GenerateDataKey). */
  generateDataKey?(context: EncryptionContext): Promise<{ dataKey: Uint8Array; wrapped: WrappedKey }>;

  /**
   * Optional: re-wrap under the current key without exposing the data key to the caller
   * (AWS ReEncrypt). Without it the vault unwraps and wraps again.
   */
  rewrap?(wrapped: WrappedKey, context: EncryptionContext): Promise<WrappedKey>;
}

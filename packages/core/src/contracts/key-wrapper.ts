/**
 * The key-wrapping contract: a KeyWrapper protects data keys (DEKs) with a key-encryption key it
 * holds or reaches (a local keyring, AWS KMS, Google Cloud KMS). The vault calls it through a guard
 * (crypto/guarded-key-wrapper) that checks every pre- and post-condition below, so an
 * implementation only does the wrapping.
 *
 * Errors a wrapper throws (classes from `@agentvault/core/errors`):
 * - AgentVaultUnavailableError (with `cause`): throttled, timed out, unreachable — retryable;
 * - AgentVaultIntegrityError: the ciphertext was altered, the context differs, or a stored row
 *   names a key the wrapper was not configured with — never retried;
 * - AgentVaultConfigurationError: access denied, disabled or missing configured key — names the key.
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
   * id it is configured with (the current one and the previous ones it was given). MUST throw
   * AgentVaultIntegrityError if the bytes were altered or `context` differs from the one used to
   * wrap. `wrapped.keyId` comes from storage: MUST refuse, with AgentVaultIntegrityError naming the
   * key and before any call to a key service, an id it was not configured with — even one its
   * credentials could use — so a database writer cannot choose the key (and so the data key).
   * `rewrap` MUST check its source key id the same way.
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

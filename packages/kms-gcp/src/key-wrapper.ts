/**
 * Key wrapping with Google Cloud KMS. A data key is wrapped by Encrypt with the canonical bytes of
 * its binding context as additional authenticated data, and unwrapped by Decrypt with the same
 * bytes: Cloud KMS refuses a data key under any other (tenant, path, version).
 *
 * Every CRC32C field is computed and checked in both directions, as Google's data-integrity guide
 * asks: the request carries the checksums of plaintext / ciphertext and AAD; Encrypt's answer
 * must say it verified both and carry a ciphertext checksum that matches; Decrypt's answer must
 * carry a plaintext checksum that matches. A mismatch means damage in transit: the answer is
 * discarded and the call retried a limited number of times. Nothing unverified is returned.
 *
 * Each wrapped key records the CryptoKeyVersion Encrypt used. Decrypt is called on that
 * version's CryptoKey (Cloud KMS picks the version from the ciphertext), so data keys wrapped
 * before a rotation still unwrap. That name comes from storage, so it is checked first: only
 * versions of the configured CryptoKey and of the `previousKeyNames` are accepted; any other is an
 * integrity failure, refused without a KMS call (a database writer must not choose the key).
 *
 * There is no server-side re-encrypt in Cloud KMS, so `rewrap` is left to the vault (unwrap, then
 * wrap under the current primary version); the data key passes through this process either way.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { EncryptionContext, KeyWrapper, WrappedKey } from '@agentvault/core';
import { canonicalContext } from '@agentvault/core';
import { AgentVaultConfigurationError, AgentVaultIntegrityError } from '@agentvault/core/errors';
import { crc32cOf } from './crc32c';
import { ChecksumMismatch, gcpKmsError, isRetryableKmsFailure, type KmsCall } from './errors';
import type { GcpKmsOperations } from './operations';
import { cryptoKeyOf, isKeyOrVersionName } from './resource-names';

export interface GcpRetryOptions {
  /** Attempts per call, the first included. Default 3. */
  maxAttempts?: number;
  /** Backoff before the second attempt, doubled each time, with full jitter. Default 100 ms. */
  baseDelayMs?: number;
  /** Longest backoff. Default 2,000 ms. */
  maxDelayMs?: number;
}

export interface GcpKmsKeyWrapperOptions {
  /**
   * The CryptoKey new data keys are wrapped under (its primary version is used):
   * `projects/P/locations/L/keyRings/R/cryptoKeys/K`; or one CryptoKeyVersion to pin it.
   */
  keyName: string;
  /**
   * CryptoKeys (any of their versions) or single CryptoKeyVersions that wrapped data keys still in
   * storage, after `keyName` changed. Rows naming any other key are refused as integrity failures.
   * Drop an entry once `vault.rewrap()` has moved everything off it.
   */
  previousKeyNames?: readonly string[];
  kms: GcpKmsOperations;
  /**
   * Retries of transient failures (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, INTERNAL,
   * ABORTED) and of data that failed its CRC32C check in transit.
   */
  retry?: GcpRetryOptions;
}

export class GcpKmsKeyWrapper implements KeyWrapper {
  readonly name = 'gcp-kms';
  readonly #keyName: string;
  readonly #kms: GcpKmsOperations;
  readonly #retry: Required<GcpRetryOptions>;
  /** The CryptoKeyVersion the last Encrypt used; `#keyName` until one answers. */
  #current: string;
  /** CryptoKeys whose every version is accepted in stored rows, and single versions accepted. */
  readonly #allowedKeys = new Set<string>();
  readonly #allowedVersions = new Set<string>();

  constructor(options: GcpKmsKeyWrapperOptions) {
    if (typeof options?.keyName !== 'string' || !isKeyOrVersionName(options.keyName)) {
      throw new AgentVaultConfigurationError(
        `gcp-kms: keyName '${String(options?.keyName)}' is not a CryptoKey name (projects/P/locations/L/keyRings/R/cryptoKeys/K)`,
      );
    }
    this.#keyName = options.keyName;
    this.#current = options.keyName;
    this.#kms = options.kms;
    this.#allowedKeys.add(cryptoKeyOf(options.keyName)!);
    for (const name of options.previousKeyNames ?? []) {
      if (typeof name !== 'string' || !isKeyOrVersionName(name)) {
        throw new AgentVaultConfigurationError(
          `gcp-kms: previousKeyNames holds '${String(name)}', not a CryptoKey or CryptoKeyVersion name`,
        );
      }
      if (cryptoKeyOf(name) === name) this.#allowedKeys.add(name);
      else this.#allowedVersions.add(name);
    }
    this.#retry = {
      maxAttempts: Math.max(1, Math.floor(options.retry?.maxAttempts ?? 3)),
      baseDelayMs: options.retry?.baseDelayMs ?? 100,
      maxDelayMs: options.retry?.maxDelayMs ?? 2_000,
    };
  }

  /**
   * The CryptoKeyVersion new data keys are wrapped under, as Cloud KMS last reported it; the
   * configured `keyName` before the first Encrypt answers. After Cloud KMS rotates the key, this
   * changes with the next wrap (or `refreshCurrentKey()`).
   */
  currentKeyId(): string {
    return this.#current;
  }

  /**
   * Ask Cloud KMS which version is primary now (one Encrypt of a throwaway byte), so that
   * `currentKeyId()` — and `vault.rewrap()`, which moves everything not under it — sees a rotation
   * before the next write does.
   */
  async refreshCurrentKey(): Promise<string> {
    await this.#encrypt(new Uint8Array(1), Buffer.from('agentvault/refresh-current-key', 'utf8'));
    return this.#current;
  }

  async #attempt<T>(operation: KmsCall['operation'], key: string, run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        if (attempt >= this.#retry.maxAttempts || !isRetryableKmsFailure(error)) {
          throw gcpKmsError(error, { operation, key, attempts: attempt });
        }
        const ceiling = Math.min(this.#retry.maxDelayMs, this.#retry.baseDelayMs * 2 ** (attempt - 1));
        await sleep(Math.random() * ceiling);
      }
    }
  }

  async #encrypt(plaintext: Uint8Array, aad: Uint8Array): Promise<WrappedKey> {
    const plaintextCrc32c = crc32cOf(plaintext);
    const aadCrc32c = crc32cOf(aad);
    return this.#attempt('Encrypt', this.#keyName, async () => {
      const response = await this.#kms.encrypt({
        name: this.#keyName,
        plaintext,
        additionalAuthenticatedData: aad,
        plaintextCrc32c,
        additionalAuthenticatedDataCrc32c: aadCrc32c,
      });
      if (!response.verifiedPlaintextCrc32c || !response.verifiedAdditionalAuthenticatedDataCrc32c) {
        throw new ChecksumMismatch(
          'Cloud KMS did not verify the request checksums (request damaged in transit)',
        );
      }
      if (response.ciphertextCrc32c === null || crc32cOf(response.ciphertext) !== response.ciphertextCrc32c) {
        throw new ChecksumMismatch(
          'ciphertext does not match ciphertext_crc32c (response damaged in transit)',
        );
      }
      if (cryptoKeyOf(response.name) !== cryptoKeyOf(this.#keyName)) {
        throw new AgentVaultConfigurationError(
          `gcp-kms: Encrypt with key '${this.#keyName}' answered with version '${response.name}' of another key`,
        );
      }
      this.#current = response.name;
      return { keyId: response.name, ciphertext: response.ciphertext };
    });
  }

  wrap(dataKey: Uint8Array, context: EncryptionContext): Promise<WrappedKey> {
    return this.#encrypt(dataKey, canonicalContext(context));
  }

  async unwrap(wrapped: WrappedKey, context: EncryptionContext): Promise<Uint8Array> {
    const keyName = cryptoKeyOf(wrapped.keyId);
    if (!keyName || keyName === wrapped.keyId) {
      throw new AgentVaultIntegrityError(
        `gcp-kms: wrapped key id '${wrapped.keyId}' is not a Cloud KMS CryptoKeyVersion name`,
      );
    }
    if (!this.#allowedKeys.has(keyName) && !this.#allowedVersions.has(wrapped.keyId)) {
      throw new AgentVaultIntegrityError(
        `gcp-kms: the wrapped data key names '${wrapped.keyId}', which is neither a version of the configured key `
        + `'${cryptoKeyOf(this.#keyName)}' nor in previousKeyNames; refused without asking Cloud KMS `
        + '(a row altered in storage, or a retired key missing from the configuration)',
      );
    }
    const aad = canonicalContext(context);
    const ciphertextCrc32c = crc32cOf(wrapped.ciphertext);
    const aadCrc32c = crc32cOf(aad);
    return this.#attempt('Decrypt', wrapped.keyId, async () => {
      const response = await this.#kms.decrypt({
        name: keyName,
        ciphertext: wrapped.ciphertext,
        additionalAuthenticatedData: aad,
        ciphertextCrc32c,
        additionalAuthenticatedDataCrc32c: aadCrc32c,
      });
      if (response.plaintextCrc32c === null || crc32cOf(response.plaintext) !== response.plaintextCrc32c) {
        throw new ChecksumMismatch('plaintext does not match plaintext_crc32c (response damaged in transit)');
      }
      return response.plaintext;
    });
  }
}

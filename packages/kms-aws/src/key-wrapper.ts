/**
 * Key wrapping with AWS KMS. One GenerateDataKey per new secret version gives the data key in the
 * clear and wrapped; Decrypt unwraps; ReEncrypt moves a wrapped key to the current KMS key inside
 * KMS. The encryption context of every call is the version's binding context, so KMS refuses to
 * unwrap a data key for any other (tenant, path, version) and CloudTrail logs which one was used.
 *
 * Each wrapped key records the ARN of the KMS key that wrapped it (from KMS's response, also when
 * `keyId` is an alias), and unwrap names that key: data keys wrapped before the current key
 * changed still unwrap, as long as this principal may still use the older key.
 */
import type { EncryptionContext, KeyWrapper, WrappedKey } from '@agentvault/core';
import { AgentVaultConfigurationError } from '@agentvault/core/errors';
import { awsKmsError, type KmsCall } from './errors';
import type { AwsKmsOperations } from './operations';

export interface AwsKmsKeyWrapperOptions {
  /**
   * The KMS key new data keys are wrapped under: a key ARN (recommended), key id, alias name
   * (`alias/…`) or alias ARN.
   */
  keyId: string;
  kms: AwsKmsOperations;
}

export class AwsKmsKeyWrapper implements KeyWrapper {
  readonly name = 'aws-kms';
  readonly #keyId: string;
  readonly #kms: AwsKmsOperations;
  /** The ARN KMS last reported for `#keyId`; `#keyId` itself until the first call answers. */
  #current: string;

  constructor(options: AwsKmsKeyWrapperOptions) {
    if (typeof options?.keyId !== 'string' || options.keyId.trim() === '') {
      throw new AgentVaultConfigurationError('aws-kms: `keyId` (a KMS key ARN, key id or alias) is required');
    }
    this.#keyId = options.keyId;
    this.#current = options.keyId;
    this.#kms = options.kms;
  }

  /**
   * The key new data keys are wrapped under: the key ARN KMS last answered with for the configured
   * `keyId`. Before the first call, the configured `keyId` itself (the same when it is an ARN).
   */
  currentKeyId(): string {
    return this.#current;
  }

  async #call<T>(call: KmsCall, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw awsKmsError(error, call);
    }
  }

  #learn(keyId: string): string {
    this.#current = keyId;
    return keyId;
  }

  async generateDataKey(context: EncryptionContext): Promise<{ dataKey: Uint8Array; wrapped: WrappedKey }> {
    const result = await this.#call({ operation: 'GenerateDataKey', key: this.#keyId }, () =>
      this.#kms.generateDataKey({ keyId: this.#keyId, context }),
    );
    return {
      dataKey: result.plaintext,
      wrapped: { keyId: this.#learn(result.keyId), ciphertext: result.ciphertextBlob },
    };
  }

  async wrap(dataKey: Uint8Array, context: EncryptionContext): Promise<WrappedKey> {
    const result = await this.#call({ operation: 'Encrypt', key: this.#keyId }, () =>
      this.#kms.encrypt({ keyId: this.#keyId, plaintext: dataKey, context }),
    );
    return { keyId: this.#learn(result.keyId), ciphertext: result.ciphertextBlob };
  }

  async unwrap(wrapped: WrappedKey, context: EncryptionContext): Promise<Uint8Array> {
    const result = await this.#call({ operation: 'Decrypt', key: wrapped.keyId }, () =>
      this.#kms.decrypt({ keyId: wrapped.keyId, ciphertextBlob: wrapped.ciphertext, context }),
    );
    return result.plaintext;
  }

  async rewrap(wrapped: WrappedKey, context: EncryptionContext): Promise<WrappedKey> {
    const result = await this.#call(
      { operation: 'ReEncrypt', key: `${wrapped.keyId}' → '${this.#keyId}` },
      () =>
        this.#kms.reEncrypt({
          sourceKeyId: wrapped.keyId,
          destinationKeyId: this.#keyId,
          ciphertextBlob: wrapped.ciphertext,
          context,
        }),
    );
    return { keyId: this.#learn(result.keyId), ciphertext: result.ciphertextBlob };
  }
}

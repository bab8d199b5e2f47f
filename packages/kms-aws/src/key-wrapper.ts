/**
 * Key wrapping with AWS KMS. One GenerateDataKey per new secret version gives the data key in the
 * clear and wrapped; Decrypt unwraps; ReEncrypt moves a wrapped key to the current KMS key inside
 * KMS. The encryption context of every call is the version's binding context, so KMS refuses to
 * unwrap a data key for any other (tenant, path, version) and CloudTrail logs which one was used.
 *
 * Each wrapped key records the ARN of the KMS key that wrapped it (from KMS's response, also when
 * `keyId` is an alias), and unwrap names that key. That id comes from storage, so it is checked
 * first: only the configured key (and the ARNs KMS reported for it) and the `previousKeyIds` are
 * accepted; any other id is an integrity failure, refused without a KMS call. Otherwise a database
 * writer could point a row at a key of theirs that this principal may also use, and have the vault
 * accept a data key — and so a value — of their choosing.
 */
import type { EncryptionContext, KeyWrapper, WrappedKey } from '@agentvault/core';
import { AgentVaultConfigurationError, AgentVaultIntegrityError } from '@agentvault/core/errors';
import { awsKmsError, type KmsCall } from './errors';
import type { AwsKmsOperations } from './operations';

export interface AwsKmsKeyWrapperOptions {
  /**
   * The KMS key new data keys are wrapped under: a key ARN (recommended), key id, alias name
   * (`alias/…`) or alias ARN.
   */
  keyId: string;
  /**
   * Keys that wrapped data keys still in storage, after the current key changed (by configuration
   * or by repointing an alias): key ARNs or key ids, not aliases. Unwrapping under any key neither
   * current nor listed here fails with AgentVaultIntegrityError. Drop a key once `vault.rewrap()`
   * has moved everything off it.
   */
  previousKeyIds?: readonly string[];
  kms: AwsKmsOperations;
}

const isAlias = (id: string) => id.startsWith('alias/') || /^arn:aws[\w-]*:kms:[^:]*:\d*:alias\//.test(id);
/** `UUID` or `mrk-…` from `arn:aws:kms:region:account:key/UUID`, else the id itself. */
const bareKeyId = (id: string) => /:key\/([^/]+)$/.exec(id)?.[1] ?? id;
/** Re-ask KMS what an alias points to at most this often, however many unknown ids a reader meets. */
const ALIAS_REFRESH_MS = 60_000;

export class AwsKmsKeyWrapper implements KeyWrapper {
  readonly name = 'aws-kms';
  readonly #keyId: string;
  readonly #kms: AwsKmsOperations;
  /** The ARN KMS last reported for `#keyId`; `#keyId` itself until the first call answers. */
  #current: string;
  /** Configured ARNs and bare key ids (current when not an alias, and previous ones). */
  readonly #configured = new Set<string>();
  /** ARNs KMS answered with for the configured `keyId` (what an alias resolved to). */
  readonly #learned = new Set<string>();
  #aliasCheckedAt = Number.NEGATIVE_INFINITY;

  constructor(options: AwsKmsKeyWrapperOptions) {
    if (typeof options?.keyId !== 'string' || options.keyId.trim() === '') {
      throw new AgentVaultConfigurationError('aws-kms: `keyId` (a KMS key ARN, key id or alias) is required');
    }
    this.#keyId = options.keyId;
    this.#current = options.keyId;
    this.#kms = options.kms;
    if (!isAlias(options.keyId)) this.#configured.add(options.keyId);
    for (const id of options.previousKeyIds ?? []) {
      if (typeof id !== 'string' || id.trim() === '' || isAlias(id)) {
        throw new AgentVaultConfigurationError(
          `aws-kms: previousKeyIds holds '${String(id)}': list key ARNs or key ids, not aliases`,
        );
      }
      this.#configured.add(id);
    }
  }

  /** Key ids (ARNs or bare ids) this wrapper accepts in stored rows, besides what an alias resolves to. */
  allowedKeyIds(): string[] {
    return [...new Set([...this.#configured, ...this.#learned])];
  }

  #accepts(keyId: string): boolean {
    if (this.#learned.has(keyId) || this.#configured.has(keyId)) return true;
    const bare = bareKeyId(keyId);
    return bare !== keyId && this.#configured.has(bare);
  }

  /**
   * Refuse a stored key id the wrapper was not configured with. When `keyId` is an alias and the
   * id is unknown, ask KMS (rarely) what the alias points to now: a fresh process may not have
   * wrapped anything yet.
   */
  async #checkStoredKeyId(keyId: string): Promise<void> {
    if (this.#accepts(keyId)) return;
    if (isAlias(this.#keyId) && performance.now() - this.#aliasCheckedAt >= ALIAS_REFRESH_MS) {
      this.#aliasCheckedAt = performance.now();
      const probe = await this.#call({ operation: 'Encrypt', key: this.#keyId }, () =>
        this.#kms.encrypt({ keyId: this.#keyId, plaintext: new Uint8Array(1), context: {} }),
      );
      this.#learn(probe.keyId);
      if (this.#accepts(keyId)) return;
    }
    throw new AgentVaultIntegrityError(
      `aws-kms: the wrapped data key names key '${keyId}', which is neither the configured key '${this.#keyId}' `
      + 'nor one of previousKeyIds; refused without asking KMS (a row altered in storage, or a retired key missing from the configuration)',
    );
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
    this.#learned.add(keyId);
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
    await this.#checkStoredKeyId(wrapped.keyId);
    const result = await this.#call({ operation: 'Decrypt', key: wrapped.keyId }, () =>
      this.#kms.decrypt({ keyId: wrapped.keyId, ciphertextBlob: wrapped.ciphertext, context }),
    );
    return result.plaintext;
  }

  async rewrap(wrapped: WrappedKey, context: EncryptionContext): Promise<WrappedKey> {
    await this.#checkStoredKeyId(wrapped.keyId);
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

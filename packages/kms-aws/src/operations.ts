/**
 * The AWS KMS operations the wrapper uses, with plain inputs and outputs. The wrapper talks only
 * to this interface; `kmsClientOperations` adapts an `@aws-sdk/client-kms` client to it, and a
 * test or another SDK can pass a plain object. Failures are thrown as the SDK throws them
 * (an error whose `name` is the KMS exception type), so `awsKmsError` can classify them.
 */
import type { EncryptionContext } from '@agentvault/core';

export interface AwsKmsOperations {
  /** GenerateDataKey (AES_256): the data key in the clear and wrapped, with the ARN of the key used. */
  generateDataKey(input: {
    keyId: string;
    context: EncryptionContext;
  }): Promise<{ keyId: string; plaintext: Uint8Array; ciphertextBlob: Uint8Array }>;
  encrypt(input: {
    keyId: string;
    plaintext: Uint8Array;
    context: EncryptionContext;
  }): Promise<{ keyId: string; ciphertextBlob: Uint8Array }>;
  /** Decrypt, naming the key the blob must have been made under (KMS refuses any other). */
  decrypt(input: {
    keyId: string;
    ciphertextBlob: Uint8Array;
    context: EncryptionContext;
  }): Promise<{ keyId: string; plaintext: Uint8Array }>;
  /** ReEncrypt from `sourceKeyId` to `destinationKeyId` inside KMS, keeping the same context. */
  reEncrypt(input: {
    sourceKeyId: string;
    destinationKeyId: string;
    ciphertextBlob: Uint8Array;
    context: EncryptionContext;
  }): Promise<{ keyId: string; ciphertextBlob: Uint8Array }>;
}

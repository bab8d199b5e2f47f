/**
 * The binding to `@aws-sdk/client-kms`: the only module that imports the SDK. It adapts a
 * `KMSClient` (anything with its `send`) to the plain AwsKmsOperations the wrapper uses.
 */

import { AgentVaultUnavailableError } from '@agentvault/core/errors';
import {
  DecryptCommand,
  type DecryptCommandOutput,
  EncryptCommand,
  type EncryptCommandOutput,
  GenerateDataKeyCommand,
  type GenerateDataKeyCommandOutput,
  ReEncryptCommand,
  type ReEncryptCommandOutput,
} from '@aws-sdk/client-kms';
import type { AwsKmsOperations } from './operations';

/** What the binding needs of a KMS client; a `KMSClient` from `@aws-sdk/client-kms` is one. */
export interface KmsSendClient {
  send(command: GenerateDataKeyCommand): Promise<GenerateDataKeyCommandOutput>;
  send(command: EncryptCommand): Promise<EncryptCommandOutput>;
  send(command: DecryptCommand): Promise<DecryptCommandOutput>;
  send(command: ReEncryptCommand): Promise<ReEncryptCommandOutput>;
}

function present<T>(value: T | undefined, operation: string, field: string): T {
  if (value === undefined || value === null) {
    throw new AgentVaultUnavailableError(`aws-kms: ${operation} answered without ${field}`);
  }
  return value;
}

export function kmsClientOperations(client: KmsSendClient): AwsKmsOperations {
  return {
    async generateDataKey({ keyId, context }) {
      const out = await client.send(
        new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { ...context } }),
      );
      return {
        keyId: present(out.KeyId, 'GenerateDataKey', 'KeyId'),
        plaintext: present(out.Plaintext, 'GenerateDataKey', 'Plaintext'),
        ciphertextBlob: present(out.CiphertextBlob, 'GenerateDataKey', 'CiphertextBlob'),
      };
    },
    async encrypt({ keyId, plaintext, context }) {
      const out = await client.send(
        new EncryptCommand({ KeyId: keyId, Plaintext: plaintext, EncryptionContext: { ...context } }),
      );
      return {
        keyId: present(out.KeyId, 'Encrypt', 'KeyId'),
        ciphertextBlob: present(out.CiphertextBlob, 'Encrypt', 'CiphertextBlob'),
      };
    },
    async decrypt({ keyId, ciphertextBlob, context }) {
      const out = await client.send(
        new DecryptCommand({
          KeyId: keyId,
          CiphertextBlob: ciphertextBlob,
          EncryptionContext: { ...context },
        }),
      );
      return {
        keyId: present(out.KeyId, 'Decrypt', 'KeyId'),
        plaintext: present(out.Plaintext, 'Decrypt', 'Plaintext'),
      };
    },
    async reEncrypt({ sourceKeyId, destinationKeyId, ciphertextBlob, context }) {
      const out = await client.send(
        new ReEncryptCommand({
          CiphertextBlob: ciphertextBlob,
          SourceKeyId: sourceKeyId,
          SourceEncryptionContext: { ...context },
          DestinationKeyId: destinationKeyId,
          DestinationEncryptionContext: { ...context },
        }),
      );
      return {
        keyId: present(out.KeyId, 'ReEncrypt', 'KeyId'),
        ciphertextBlob: present(out.CiphertextBlob, 'ReEncrypt', 'CiphertextBlob'),
      };
    },
  };
}

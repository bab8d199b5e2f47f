/**
 * `@agentvault/kms-gcp`: key wrapping with Google Cloud KMS.
 *
 *   const keys = gcpKmsKeyWrapper({ keyName: 'projects/p/locations/l/keyRings/r/cryptoKeys/k', clientOptions: {} });
 *   const vault = createVault({ storage, keys });
 */
import type { KeyManagementServiceClient } from '@google-cloud/kms';
import { GcpKmsKeyWrapper, type GcpRetryOptions } from './key-wrapper';
import { type KmsGrpcClient, kmsClient, kmsClientOperations } from './sdk-client';

export { crc32cOf } from './crc32c';
export { ChecksumMismatch, gcpKmsError, isRetryableKmsFailure, type KmsCall } from './errors';
export { GcpKmsKeyWrapper, type GcpKmsKeyWrapperOptions, type GcpRetryOptions } from './key-wrapper';
export type {
  GcpDecryptRequest,
  GcpDecryptResponse,
  GcpEncryptRequest,
  GcpEncryptResponse,
  GcpKmsOperations,
} from './operations';
export {
  type ClientOperationsOptions,
  type KmsCallOptions,
  type KmsGrpcClient,
  kmsClientOperations,
} from './sdk-client';

interface CommonOptions {
  /** CryptoKey name (recommended; its primary version is used), or a CryptoKeyVersion name to pin one. */
  keyName: string;
  /**
   * Earlier CryptoKeys (or single versions) whose data keys are still in storage. Stored rows
   * naming any other key are refused as integrity failures.
   */
  previousKeyNames?: readonly string[];
  /** Deadline of each attempt in ms. Default 10,000. */
  timeoutMs?: number;
  retry?: GcpRetryOptions;
}

export type GcpKmsWrapperOptions = CommonOptions
  & (
    | {
      /** A `KeyManagementServiceClient` you configured; shared with your app. */
      client: KmsGrpcClient;
    }
    | {
      /** Options for a `KeyManagementServiceClient` this wrapper creates (`{}`: ADC, public endpoint). */
      clientOptions: ConstructorParameters<typeof KeyManagementServiceClient>[0];
    }
  );

/** A KeyWrapper on Google Cloud KMS, through an `@google-cloud/kms` client. */
export function gcpKmsKeyWrapper(options: GcpKmsWrapperOptions): GcpKmsKeyWrapper {
  const client = 'client' in options ? options.client : kmsClient(options.clientOptions);
  return new GcpKmsKeyWrapper({
    keyName: options.keyName,
    kms: kmsClientOperations(client, { timeoutMs: options.timeoutMs }),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.previousKeyNames ? { previousKeyNames: options.previousKeyNames } : {}),
  });
}

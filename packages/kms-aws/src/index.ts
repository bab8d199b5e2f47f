/**
 * `@agentvault/kms-aws`: key wrapping with AWS KMS.
 *
 *   const keys = awsKmsKeyWrapper({ keyId: 'arn:aws:kms:…:key/…', clientConfig: { region: 'eu-west-1' } });
 *   const vault = createVault({ storage, keys });
 */
import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import { AwsKmsKeyWrapper } from './key-wrapper';
import { type KmsSendClient, kmsClientOperations } from './sdk-client';

export { awsKmsError, type KmsCall } from './errors';
export { AwsKmsKeyWrapper, type AwsKmsKeyWrapperOptions } from './key-wrapper';
export type { AwsKmsOperations } from './operations';
export { type KmsSendClient, kmsClientOperations } from './sdk-client';

interface CommonOptions {
  /** KMS key ARN (recommended), key id, alias name or alias ARN. */
  keyId: string;
  /**
   * Earlier keys whose data keys are still in storage (ARNs or key ids). Stored rows naming any
   * other key are refused as integrity failures.
   */
  previousKeyIds?: readonly string[];
}

export type AwsKmsWrapperOptions = CommonOptions
  & (
    | {
      /** A client you configured (region, credentials, retries, timeouts); shared with your app. */
      client: KmsSendClient;
    }
    | {
      /** Settings for a `KMSClient` this wrapper creates. */
      clientConfig: KMSClientConfig;
    }
  );

/** A KeyWrapper on AWS KMS, through an `@aws-sdk/client-kms` client. */
export function awsKmsKeyWrapper(options: AwsKmsWrapperOptions): AwsKmsKeyWrapper {
  const client = 'client' in options ? options.client : new KMSClient(options.clientConfig);
  return new AwsKmsKeyWrapper({
    keyId: options.keyId,
    kms: kmsClientOperations(client),
    ...(options.previousKeyIds ? { previousKeyIds: options.previousKeyIds } : {}),
  });
}

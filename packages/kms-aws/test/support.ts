/** Test setup shared by the kms-aws tests: the fake KMS, principals, and real SDK clients on it. */
import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { awsKmsKeyWrapper } from '../src/index';
import { type Credentials, FakeAwsKms } from './fake-kms-server';

// The SDK warns about Node 20 when a client is constructed; the tests run on Node 20 on purpose.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** Attempts per call, as in production's standard retry mode; backoff shortened to 5 ms for tests. */
export const MAX_ATTEMPTS = 3;

export function kmsClient(
  fake: FakeAwsKms,
  principal: Credentials,
  overrides: KMSClientConfig = {},
): KMSClient {
  return new KMSClient({
    ...fake.clientConfig(principal),
    retryStrategy: new ConfiguredRetryStrategy(MAX_ATTEMPTS, 5),
    requestHandler: { requestTimeout: 2_000, connectionTimeout: 1_000, throwOnRequestTimeout: true },
    ...overrides,
  });
}

export interface KmsWorld {
  fake: FakeAwsKms;
  /** The key the wrapper uses, and a newer one the same principal may use. */
  key: string;
  newer: string;
  /** A key in another account that `me` may not use, and the principal that may. */
  foreignKey: string;
  me: Credentials;
  stranger: Credentials;
  clients: KMSClient[];
  client(principal?: Credentials, overrides?: KMSClientConfig): KMSClient;
  /** A wrapper on `keyId` (default `key`) that also accepts the stored ids `previousKeyIds`. */
  wrapper(keyId?: string, principal?: Credentials, previousKeyIds?: string[]): ReturnType<typeof awsKmsKeyWrapper>;
  close(): Promise<void>;
}

export async function kmsWorld(): Promise<KmsWorld> {
  const fake = await FakeAwsKms.start();
  const key = fake.createKey();
  const newer = fake.createKey();
  const foreignKey = fake.createKey('444455556666');
  const me = fake.createPrincipal([key, newer]);
  const stranger = fake.createPrincipal([foreignKey]);
  const clients: KMSClient[] = [];
  const world: KmsWorld = {
    fake,
    key,
    newer,
    foreignKey,
    me,
    stranger,
    clients,
    client(principal = me, overrides = {}) {
      const client = kmsClient(fake, principal, overrides);
      clients.push(client);
      return client;
    },
    wrapper(keyId = key, principal = me, previousKeyIds) {
      return awsKmsKeyWrapper({ keyId, client: world.client(principal), ...(previousKeyIds ? { previousKeyIds } : {}) });
    },
    async close() {
      for (const client of clients) client.destroy();
      await fake.close();
    },
  };
  return world;
}

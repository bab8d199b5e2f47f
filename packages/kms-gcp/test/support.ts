/** Test setup shared by the kms-gcp tests: the fake Cloud KMS, principals, and real SDK clients on it. */
import { KeyManagementServiceClient } from '@google-cloud/kms';
import { type GcpKmsWrapperOptions, gcpKmsKeyWrapper } from '../src/index';
import { FakeGcpKms, type KmsClientOptions, type Principal } from './fake-kms-server';

// No probing for a GCE metadata server: the tests never run on Google Cloud.
process.env.METADATA_SERVER_DETECTION = 'none';

/** Attempts per call as in production; backoff shortened to a few ms for tests. */
export const RETRY = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 };

export interface GcpWorld {
  fake: FakeGcpKms;
  /** The key the wrapper uses, a second key the same principal may use, and one it may not. */
  key: string;
  second: string;
  foreignKey: string;
  me: Principal;
  stranger: Principal;
  client(principal?: Principal, extra?: KmsClientOptions): KeyManagementServiceClient;
  wrapper(
    keyName?: string,
    principal?: Principal,
    options?: Partial<Pick<GcpKmsWrapperOptions, 'timeoutMs' | 'retry' | 'previousKeyNames'>>,
  ): ReturnType<typeof gcpKmsKeyWrapper>;
  close(): Promise<void>;
}

export async function gcpWorld(): Promise<GcpWorld> {
  const fake = await FakeGcpKms.start();
  const key = fake.createKey('agentvault', 'data-keys');
  const second = fake.createKey('agentvault', 'data-keys-2');
  const foreignKey = fake.createKey('someone-else', 'their-key');
  const me = fake.createPrincipal([key, second]);
  const stranger = fake.createPrincipal([foreignKey]);
  const clients: KeyManagementServiceClient[] = [];
  const world: GcpWorld = {
    fake,
    key,
    second,
    foreignKey,
    me,
    stranger,
    client(principal = me, extra = {}) {
      const client = new KeyManagementServiceClient(fake.clientOptions(principal, extra));
      clients.push(client);
      return client;
    },
    wrapper(keyName = key, principal = me, options = {}) {
      return gcpKmsKeyWrapper({ keyName, client: world.client(principal), retry: RETRY, ...options });
    },
    async close() {
      await Promise.all(clients.map((client) => client.close()));
      await fake.close();
    },
  };
  return world;
}

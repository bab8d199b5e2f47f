/**
 * The full storage conformance suite once end to end: a vault on PostgreSQL whose data keys are
 * all wrapped by AWS KMS (the real SDK client on the fake). Each secret version costs a real
 * GenerateDataKey, each cold read a real Decrypt bound to its (tenant, path, version).
 */
import { postgresTestFixture, probePostgres } from '@agentvault/adapter-postgres/testing';
import { describeRequiring, runStorageConformance } from '@agentvault/core/testing';
import type { KMSClient } from '@aws-sdk/client-kms';
import { awsKmsKeyWrapper } from '../src/index';
import { type KmsWorld, kmsWorld } from './support';

const unreachable = await probePostgres();

let world: KmsWorld | undefined;
let client: KMSClient | undefined;

describeRequiring(unreachable, 'on PostgreSQL', () => {
  runStorageConformance(
    'postgres storage, data keys wrapped by AWS KMS',
    async () => {
      world = await kmsWorld();
      client = world.client(world.me, {
        requestHandler: { requestTimeout: 30_000, connectionTimeout: 5_000, throwOnRequestTimeout: true },
      });
      const fixture = await postgresTestFixture('kms_aws');
      return { ...fixture, close: async () => Promise.all([fixture.close?.(), world?.close()]).then(() => undefined) };
    },
    {
      keys: () => {
        if (!world || !client) throw new Error('the KMS fake is not started');
        return awsKmsKeyWrapper({ keyId: world.key, client });
      },
    },
  );
});

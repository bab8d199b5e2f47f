/**
 * The full storage conformance suite once end to end: a vault on PostgreSQL whose data keys are
 * all wrapped by AWS KMS (the real SDK client on the fake). Each secret version costs a real
 * GenerateDataKey, each cold read a real Decrypt bound to its (tenant, path, version).
 */
import { postgresTestFixture, probePostgres } from '@agentvault/adapter-postgres/testing';
import { runStorageConformance } from '@agentvault/core/testing';
import type { KMSClient } from '@aws-sdk/client-kms';
import { describe, it } from 'vitest';
import { awsKmsKeyWrapper } from '../src/index';
import { type KmsWorld, kmsWorld } from './support';

const unreachable = await probePostgres();
if (unreachable !== null && process.env.CI === 'true') throw new Error(`kms-aws storage suite: ${unreachable}`);

let world: KmsWorld | undefined;
let client: KMSClient | undefined;

if (unreachable === null) {
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
} else {
  console.warn(`\n!!! SKIPPING the kms-aws storage suite on PostgreSQL: ${unreachable} !!!\n`);
  describe.skip('storage conformance: postgres storage, data keys wrapped by AWS KMS', () => it('runs on PostgreSQL'));
}

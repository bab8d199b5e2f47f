/**
 * The full storage conformance suite once end to end with every vault's data keys wrapped by AWS
 * KMS (the real SDK client on the fake): each secret version costs a real GenerateDataKey, each
 * cold read a real Decrypt bound to its (tenant, path, version).
 *
 * Storage is the memory adapter on this branch; once `@agentvault/adapter-postgres` is merged the
 * storage here becomes Postgres (the issue asks for a vault on Postgres with the AWS wrapper).
 */

import { memoryAdapter } from '@agentvault/adapter-memory';
import { runStorageConformance } from '@agentvault/core/testing';
import type { KMSClient } from '@aws-sdk/client-kms';
import { awsKmsKeyWrapper } from '../src/index';
import { type KmsWorld, kmsWorld } from './support';

let world: KmsWorld | undefined;
let client: KMSClient | undefined;

runStorageConformance(
  'memory storage, data keys wrapped by AWS KMS',
  async () => {
    world = await kmsWorld();
    // Generous timeouts: the suite's parallel-writer tests make thousands of KMS calls at once
    // (every writer that loses a race seals again with a fresh data key) on a shared machine.
    client = world.client(world.me, {
      requestHandler: { requestTimeout: 30_000, connectionTimeout: 5_000, throwOnRequestTimeout: true },
    });
    const storage = memoryAdapter();
    return { storage, backdoor: storage.backdoor(), close: () => world?.close() };
  },
  {
    keys: () => {
      if (!world || !client) throw new Error('the KMS fake is not started');
      return awsKmsKeyWrapper({ keyId: world.key, client });
    },
  },
);

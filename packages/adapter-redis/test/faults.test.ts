import {
  AgentVaultConfigurationError,
  AgentVaultUnavailableError,
  type AuditDraft,
  auditDigest,
  createVault,
  type VersionRecord,
} from '@agentvault/core';
import { describeRequiring, manualClock, testKeyWrapper } from '@agentvault/core/testing';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { deleteKeysUnder, redisAdapter, SAFE_CLIENT_OPTIONS } from '../src/index';
import { newClient, REDIS_URL, redisAvailable, redisProblem, uniquePrefix } from './redis-env';

describeRequiring(redisProblem, 'redis faults', () => {
  const prefix = uniquePrefix();
  const admin = redisAvailable ? newClient() : null;
  afterAll(async () => {
    if (!admin) return;
    await deleteKeysUnder(admin, prefix);
    await admin.quit();
  });

  it('turns a connection killed under in-flight scripts into Unavailable, stores nothing of them, and works again', async () => {
    const client = newClient();
    const storage = redisAdapter({ client }, { prefix });
    const clock = manualClock();
    const vault = createVault({ storage, keys: testKeyWrapper(), clock, logger: { warn() {}, error() {} } });
    await vault.setSecret('fault/key', 'v1');
    const token = await vault.requestToken({ scope: 'secrets:read:fault/*', maxUses: 3 });
    const tenant = 'default';
    await vault.getSecret('fault/key', { token: token.value! });
    const before = {
      secret: await storage.getSecret(tenant, 'fault/key'),
      token: await storage.getToken(tenant, token.id!),
      heads: await storage.auditHeads(tenant),
      versions: await storage.listVersions(tenant, 'fault/key'),
    };
    clock.advance(1000);

    // Park the connection on a blocking pop: Redis reads nothing more from a blocked client, so the
    // scripts sent after it are in flight, unexecuted, when the connection is killed.
    const id = (await client.call('CLIENT', 'ID')) as number;
    const parked = client.call('BLPOP', `${prefix}fault:never`, '10').catch((e: unknown) => e);
    const read = storage
      .readSecret({
        tenant,
        path: 'fault/key',
        version: null,
        now: clock.now(),
        maxTier: null,
        token: { id: token.id! },
        event: draft(tenant, 'evt_fault_read', 'secret.read', clock.now()),
      })
      .catch((e: unknown) => e);
    const write = storage
      .appendVersion({
        version: versionTwo(tenant),
        expectedCurrentVersion: 1,
        patch: { description: 'never stored' },
        retirePreviousAt: null,
        event: {
          ...draft(tenant, 'evt_fault_write', 'secret.update', clock.now()),
          success: true,
          error: null,
          version: 2,
        },
      })
      .catch((e: unknown) => e);
    await waitUntil(async () => {
      const line = (await admin!.call('CLIENT', 'LIST', 'ID', id)) as string;
      return line.includes('cmd=blpop') && !/ qbuf=0 /.test(line);
    });
    await admin!.call('CLIENT', 'KILL', 'ID', id);

    const [readError, writeError] = await Promise.all([read, write]);
    await parked;
    for (const error of [readError, writeError]) {
      expect(error).toBeInstanceOf(AgentVaultUnavailableError);
      expect((error as Error).cause).toBeInstanceOf(Error);
    }
    expect(await storage.getSecret(tenant, 'fault/key')).toEqual(before.secret);
    expect(await storage.getToken(tenant, token.id!)).toEqual(before.token);
    expect(await storage.auditHeads(tenant)).toEqual(before.heads);
    expect(await storage.listVersions(tenant, 'fault/key')).toEqual(before.versions);
    expect(await admin!.call('EXISTS', `${prefix}e:evt_fault_write`, `${prefix}e:evt_fault_read`)).toBe(0);

    // The client reconnects by itself; the next calls work and the trail is whole.
    expect((await vault.getSecret('fault/key', { token: token.value! })).value).toBe('v1');
    expect((await storage.getToken(tenant, token.id!))?.usesRemaining).toBe(1);
    expect((await vault.verifyAudit()).ok).toBe(true);
    await client.quit();
  });

  it('answers Unavailable when the server cannot be reached', async () => {
    const storage = redisAdapter({
      url: 'redis://127.0.0.1:1',
      clientOptions: { retryStrategy: () => null },
    });
    (storage.client as Redis).on('error', () => undefined);
    const error = await storage.getSecret('default', 'any/path').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentVaultUnavailableError);
    expect((error as Error).message).toMatch(/^redis: /);
    await storage.close();
  });

  it('refuses a client that would resend or hold a script after a dropped connection, or prefixes keys', () => {
    const unsafe = new Redis(REDIS_URL, { lazyConnect: true });
    expect(() => redisAdapter({ client: unsafe })).toThrow(AgentVaultConfigurationError);
    unsafe.disconnect();
    const prefixed = new Redis(REDIS_URL, { ...SAFE_CLIENT_OPTIONS, lazyConnect: true, keyPrefix: 'app:' });
    expect(() => redisAdapter({ client: prefixed })).toThrow(/keyPrefix/);
    prefixed.disconnect();
  });
});

function draft(
  tenant: string,
  id: string,
  type: 'secret.read' | 'secret.update',
  timestamp: number,
): AuditDraft {
  const base = {
    id,
    tenant,
    chain: 0,
    type,
    path: 'fault/key',
    actor: 'app:faults',
    actorDescription: null,
    ip: null,
    userAgent: null,
    timestamp,
    details: {},
  };
  return { ...base, digest: auditDigest(base) };
}

function versionTwo(tenant: string): VersionRecord {
  return {
    tenant,
    path: 'fault/key',
    version: 2,
    ciphertext: new Uint8Array(40),
    wrappedKey: { keyId: 'test', ciphertext: new Uint8Array(40) },
    createdAt: 0,
    createdBy: 'app:faults',
    retiresAt: null,
  };
}

async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition not met in 2 s');
}

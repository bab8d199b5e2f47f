/**
 * What only Redis shows: round trips per audited read, a connection killed under in-flight
 * scripts, an unreachable server, unsafe clients, and the key layout Redis Cluster needs.
 */
import {
  AgentVaultConfigurationError,
  AgentVaultUnavailableError,
  type AuditDraft,
  createVault,
  hashCredential,
  type VersionRecord,
} from '@agentvault/core';
import { describeRequiring, manualClock, testKeyWrapper } from '@agentvault/core/testing';
import { Cluster, Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { deleteKeysUnder, type RedisClientLike, redisAdapter, SAFE_CLIENT_OPTIONS } from '../src/index';
import { newClient, REDIS_URL, redisProblem, uniquePrefix } from './redis-env';

const logger = { warn() {}, error() {} };

function counting(client: Redis): { client: RedisClientLike; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    client: {
      options: client.options,
      call: (command, ...args) => {
        calls.push(command);
        return client.call(command, ...args);
      },
      quit: () => client.quit(),
    },
  };
}

function draft(tenant: string, id: string, type: AuditDraft['type'], timestamp: number): AuditDraft {
  return { id, tenant, type, path: 'fault/key', actor: 'app:faults', actorDescription: null, ip: null, userAgent: null, timestamp, details: {} };
}

async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition not met in 2 s');
}

describeRequiring(redisProblem, 'redis', () => {
  const prefix = uniquePrefix();
  const admin = redisProblem === null ? newClient() : null;
  afterAll(async () => {
    if (!admin) return;
    await deleteKeysUnder(admin, prefix);
    await admin.quit();
  });

  it('serves an audited read with a token use in one round trip: one EVALSHA from the client, by count and by MONITOR', async () => {
    const raw = newClient();
    const { client, calls } = counting(raw);
    const storage = redisAdapter({ client }, { prefix });
    const vault = createVault({ storage, keys: testKeyWrapper(), logger, defaultTenant: 'rt' });
    await vault.setSecret('rt/key', 'v');
    const token = await vault.requestToken({ scope: 'secrets:read:rt/*', maxUses: 10 });
    await vault.getSecret('rt/key', { token: token.value! });
    // The token's authentication is a lookup of its own; the audited read is one script.
    const addr = ((await raw.call('CLIENT', 'INFO')) as string).match(/ addr=(\S+)/)![1]!;
    const watcher = new Redis(REDIS_URL, SAFE_CLIENT_OPTIONS);
    const monitor = await watcher.monitor();
    const seen: string[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source === addr) seen.push(args[0]!.toLowerCase());
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    calls.length = 0;
    for (let i = 0; i < 5; i++) {
      await storage.readSecret({
        tenant: 'rt', path: 'rt/key', version: null, now: Date.now(), maxTier: null,
        token: { id: token.id! }, event: draft('rt', `evt_rt_${i}_${Date.now()}`, 'secret.read', Date.now()),
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(calls).toEqual(Array(5).fill('EVALSHA'));
    expect(seen).toEqual(Array(5).fill('evalsha'));
    monitor.disconnect();
    watcher.disconnect();
    await raw.quit();
  });

  it('turns a connection killed under in-flight scripts into Unavailable, stores nothing of them, and works again', async () => {
    const client = newClient();
    const storage = redisAdapter({ client }, { prefix });
    const clock = manualClock();
    const tenant = 'faults';
    const vault = createVault({ storage, keys: testKeyWrapper(), clock, logger, defaultTenant: tenant });
    await vault.setSecret('fault/key', 'v1');
    const token = await vault.requestToken({ scope: 'secrets:read:fault/*', maxUses: 3 });
    await vault.getSecret('fault/key', { token: token.value! });
    const keys = [
      { kind: 'secret' as const, tenant, path: 'fault/key' },
      { kind: 'token' as const, tenant, id: token.id! },
      { kind: 'version' as const, tenant, path: 'fault/key', version: 2 },
    ];
    const trail = () => storage.readAudit({ tenant, afterSeq: 0, limit: 100 });
    const before = { records: await storage.getRecords(keys), trail: await trail() };
    clock.advance(1000);

    // Park the connection on a blocking pop: Redis reads nothing more from a blocked client, so the
    // scripts sent after it are in flight, unexecuted, when the connection is killed.
    const id = (await client.call('CLIENT', 'ID')) as number;
    const parked = client.call('BLPOP', `${prefix}fault:never`, '10').catch((e: unknown) => e);
    const read = storage
      .readSecret({
        tenant, path: 'fault/key', version: null, now: clock.now(), maxTier: null,
        token: { id: token.id! }, event: draft(tenant, 'evt_fault_read', 'secret.read', clock.now()),
      })
      .catch((e: unknown) => e);
    const version: VersionRecord = {
      tenant, path: 'fault/key', version: 2, ciphertext: new Uint8Array(40),
      wrappedKey: { keyId: 'test', ciphertext: new Uint8Array(40) }, createdAt: 0, createdBy: 'app:faults', retiresAt: null,
    };
    const write = storage
      .writeVersion({
        mode: 'append', version, expectedCurrentVersion: 1, patch: { description: 'never stored' }, retirePreviousAt: null,
        event: { ...draft(tenant, 'evt_fault_write', 'secret.update', clock.now()), success: true, error: null, version: 2 },
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
    expect(await storage.getRecords(keys)).toEqual(before.records);
    expect(await trail()).toEqual(before.trail);

    // The client reconnects by itself; the next calls work and the trail verifies.
    expect((await vault.getSecret('fault/key', { token: token.value! })).value).toBe('v1');
    const [, stored] = await storage.getRecords([keys[0]!, keys[1]!]);
    expect((stored?.record as { usesRemaining: number }).usesRemaining).toBe(1);
    await vault.sealAudit();
    expect((await vault.verifyAudit()).ok).toBe(true);
    await client.quit();
  });

  it('answers Unavailable when the server cannot be reached', async () => {
    const storage = redisAdapter({ url: 'redis://127.0.0.1:1', clientOptions: { retryStrategy: () => null } });
    (storage.client as unknown as Redis).on('error', () => undefined);
    const error = await storage.getRecords([{ kind: 'secret', tenant: 'x', path: 'any/path' }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentVaultUnavailableError);
    expect((error as Error).message).toMatch(/^redis: /);
    await storage.close();
  });

  it('refuses a client that would resend a script after a dropped connection, or prefixes keys', () => {
    const unsafe = new Redis(REDIS_URL, { lazyConnect: true });
    expect(() => redisAdapter({ client: unsafe })).toThrow(AgentVaultConfigurationError);
    unsafe.disconnect();
    const prefixed = new Redis(REDIS_URL, { ...SAFE_CLIENT_OPTIONS, lazyConnect: true, keyPrefix: 'app:' });
    expect(() => redisAdapter({ client: prefixed })).toThrow(/keyPrefix/);
    prefixed.disconnect();
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true, redisOptions: SAFE_CLIENT_OPTIONS });
    expect(() => redisAdapter({ client: cluster })).toThrow(/SAFE_CLUSTER_OPTIONS/);
    cluster.disconnect();
  });

  it('puts every key of a tenant in one hash slot, and reads a credential index entry without its record as not found', async () => {
    const storage = redisAdapter({ client: admin! }, { prefix });
    const vault = createVault({ storage, keys: testKeyWrapper(), logger, defaultTenant: 'slots' });
    await vault.setSecret('s/a', 'v', { tags: { env: 'prod' } });
    const token = await vault.requestToken({ scope: 'secrets:read:s/*' });
    await vault.getSecret('s/a', { token: token.value! });
    const keys = (await admin!.keys(`${prefix}{t:slots}*`)) as string[];
    expect(keys.length).toBeGreaterThan(10);
    const slots = new Set(await Promise.all(keys.map((k) => admin!.call('CLUSTER', 'KEYSLOT', k).catch(() => null))));
    // CLUSTER KEYSLOT works on a standalone server too.
    expect(slots.size).toBe(1);
    expect(await storage.findCredential(hashCredential(token.value!))).not.toBeNull();

    const orphan = 'f'.repeat(64);
    await admin!.set(storage.credentialKey(orphan), JSON.stringify({ tenant: 'slots', kind: 'token', id: 'tok_never', at: 0 }));
    expect(await storage.findCredential(orphan)).toBeNull();
    // Old enough to be stale: removed by the lookup.
    expect(await admin!.exists(storage.credentialKey(orphan))).toBe(0);
  });
});

/**
 * Upgrade from the v1 adapter: a keyspace written by commit d132539's adapter and vault (the fixture,
 * made by fixtures/fill-legacy-d132539.ts.txt run on that commit) is exported with its chains
 * verified, imported through the v2 adapter, and read back by a v2 vault; a tampered v1 trail is refused.
 */
import { readFileSync } from 'node:fs';
import { createVault, hashCredential } from '@agentvault/core';
import { describeRequiring, manualClock, testKeyWrapper } from '@agentvault/core/testing';
import type { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { deleteKeysUnder, exportLegacy, importLegacy, legacyToJsonl, redisAdapter } from '../src/index';
import { newClient, redisProblem, uniquePrefix } from './redis-env';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/legacy-d132539.json', import.meta.url), 'utf8')) as {
  keyId: string;
  keyHex: string;
  agentKey: string;
  token: string;
  tokenValue: string;
  approval: string;
  keys: Record<string, { type: string; value: string | string[] }>;
};

async function restore(client: Redis, prefix: string): Promise<void> {
  const b = (text: string) => Buffer.from(text, 'base64');
  for (const [name, { type, value }] of Object.entries(fixture.keys)) {
    const key = `${prefix}${name}`;
    if (type === 'string') await client.set(key, b(value as string));
    else if (type === 'hash') await client.hset(key, ...(value as string[]).map(b));
    else if (type === 'set') await client.sadd(key, ...(value as string[]).map(b));
    else if (type === 'zset') {
      const flat = value as string[];
      for (let i = 0; i < flat.length; i += 2) await client.zadd(key, b(flat[i + 1]!).toString(), b(flat[i]!));
    }
  }
}

describeRequiring(redisProblem, 'upgrade from the v1 adapter (d132539)', () => {
  const client = redisProblem === null ? newClient() : null;
  const prefixes: string[] = [];
  const fresh = () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    return prefix;
  };
  afterAll(async () => {
    if (!client) return;
    for (const prefix of prefixes) await deleteKeysUnder(client, prefix);
    await client.quit();
  });

  it('exports a v1 keyspace with its chains verified and imports it: values, versions, tokens, keys, approvals and the trail', async () => {
    const old = fresh();
    await restore(client!, old);
    const exported = await exportLegacy(client!, old);
    const oldEvents = Object.keys(fixture.keys).filter((k) => k.startsWith('e:')).length;
    expect(exported.events).toHaveLength(oldEvents);
    const storage = redisAdapter({ client: client! }, { prefix: fresh() });
    const counts = await importLegacy(storage, legacyToJsonl(exported));
    expect(counts.events).toBe(oldEvents);

    const keys = testKeyWrapper({ keys: { [fixture.keyId]: Buffer.from(fixture.keyHex, 'hex') } });
    // The fixture was written on the suite's manual clock; the v1 token is valid for an hour of it.
    const clock = manualClock();
    clock.advance(5_000);
    const vault = createVault({ storage, keys, clock, defaultTenant: 'acme', logger: { warn() {}, error() {} } });
    expect((await vault.getSecret('db/password')).value).toBe('hunter3');
    expect((await vault.getSecret('db/password', { version: 1 })).value).toBe('hunter2');
    expect((await vault.listSecrets('db', { tags: { env: 'prod' } })).items.map((s) => s.path)).toEqual(['db/password']);
    // The v1 token keeps its remaining uses (5 - 1) and works.
    expect((await vault.getSecret('api/stripe', { token: fixture.tokenValue })).value).toBe('sk_live_x');
    const [token, approval] = await storage.getRecords([
      { kind: 'token', tenant: 'acme', id: fixture.token },
      { kind: 'approval', tenant: 'acme', id: fixture.approval },
    ]);
    expect(token?.record).toMatchObject({ usesRemaining: 3, lineage: ['app:embedded'], rootId: fixture.token });
    expect(approval?.record).toMatchObject({ status: 'pending', lineage: [] });
    const trashed = await storage.listSecrets({ tenant: 'acme', namespace: '', afterPath: null, limit: 10, trashed: true });
    expect(trashed.items.map((s) => s.path)).toEqual(['old/thing']);
    const agentKey = exported.records.find((r) => r.kind === 'agent_key')!.record as { hash: string };
    expect((await storage.findCredential(agentKey.hash))?.record).toMatchObject({ id: fixture.agentKey });
    expect(await storage.findCredential(hashCredential(fixture.tokenValue))).not.toBeNull();

    // The imported trail is numbered 1..n per tenant in its old order and seals as the first checkpoint.
    const trail = await storage.readAudit({ tenant: 'acme', afterSeq: 0, limit: 1000 });
    expect(trail.map((e) => e.seq)).toEqual(trail.map((_, i) => i + 1));
    expect(trail.map((e) => e.timestamp)).toEqual([...trail.map((e) => e.timestamp)].sort((a, b) => a - b));
    expect(await vault.sealAudit()).toMatchObject({ checkpoints: 1 });
    expect(await vault.verifyAudit()).toMatchObject({ ok: true });
    const other = createVault({ storage, keys, clock, defaultTenant: 'globex', logger: { warn() {}, error() {} } });
    expect((await other.getSecret('x/y')).value).toBe('zzz');
  });

  it('refuses to export a v1 trail with an altered or a removed event', async () => {
    const altered = fresh();
    await restore(client!, altered);
    const eventKey = Object.keys(fixture.keys).find((k) => k.startsWith('e:'))!;
    const raw = (await client!.get(`${altered}${eventKey}`))!;
    await client!.set(`${altered}${eventKey}`, raw.replace('"actor":"app:embedded"', '"actor":"app:intruder"'));
    await expect(exportLegacy(client!, altered)).rejects.toThrow(/altered/);

    const removed = fresh();
    await restore(client!, removed);
    await client!.del(`${removed}${eventKey}`);
    await expect(exportLegacy(client!, removed)).rejects.toThrow(/breaks/);
  });
});

/**
 * The conformance suite's view of what Redis really holds, read and written directly (every node
 * of a cluster). Not for applications.
 */
import type { AuditEvent, VersionRecord } from '@agentvault/core';
import type { StorageBackdoor } from '@agentvault/core/testing';
import type { RedisAdapter } from './adapter';
import type { RedisClientLike } from './client';
import { decodeEvent, recordFields, versionId } from './codec';

/** Keys starting with `prefix` on every master, by SCAN (never KEYS, which blocks the server). */
export async function keysUnder(client: RedisClientLike, prefix: string): Promise<string[]> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  const keys = new Set<string>();
  for (const node of client.nodes?.('master') ?? [client]) {
    let cursor = '0';
    do {
      const [next, batch] = (await node.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)) as [string, string[]];
      cursor = next;
      for (const key of batch) keys.add(key);
    } while (cursor !== '0');
  }
  return [...keys];
}

/** Delete every key under `prefix` (tests, benchmarks), one key per command so it works on a cluster. */
export async function deleteKeysUnder(client: RedisClientLike, prefix: string): Promise<void> {
  // One UNLINK per hash tag and chunk: keys of one tag share a slot, so this works on a cluster too.
  const byTag = new Map<string, string[]>();
  for (const key of await keysUnder(client, prefix)) {
    const tag = /\{[^}]*\}/.exec(key)?.[0] ?? key;
    const keys = byTag.get(tag);
    if (keys) keys.push(key);
    else byTag.set(tag, [key]);
  }
  const batches = [...byTag.values()].flatMap((keys) =>
    Array.from({ length: Math.ceil(keys.length / 500) }, (_, i) => keys.slice(i * 500, i * 500 + 500)));
  for (let i = 0; i < batches.length; i += 64)
    await Promise.all(batches.slice(i, i + 64).map((keys) => client.call('UNLINK', ...keys)));
}

export function redisBackdoor(adapter: RedisAdapter): StorageBackdoor {
  const { client } = adapter;
  const ev = (tenant: string) => `${adapter.base(tenant)}ev`;
  const zset = (tenant: string, name: 'seq' | 'time') => `${adapter.base(tenant)}e:${name}`;
  const versionKey = (tenant: string, path: string, version: number) => `${adapter.base(tenant)}v:${versionId(path, version)}`;

  async function store(event: AuditEvent): Promise<void> {
    await client.call('HSET', ev(event.tenant), event.id, JSON.stringify(event));
    await client.call('ZADD', zset(event.tenant, 'seq'), event.seq, event.id);
    await client.call('ZADD', zset(event.tenant, 'time'), event.timestamp, event.id);
  }

  async function events(tenant: string): Promise<AuditEvent[]> {
    const ids = (await client.call('ZRANGE', zset(tenant, 'seq'), 0, -1)) as string[];
    if (ids.length === 0) return [];
    const rows = (await client.call('HMGET', ev(tenant), ...ids)) as Array<string | null>;
    return rows.filter((row): row is string => row !== null).map(decodeEvent).sort((a, b) => a.seq - b.seq);
  }

  return {
    async dump() {
      const out: Record<string, unknown> = {};
      for (const key of (await keysUnder(client, adapter.prefix)).sort()) {
        const type = (await client.call('TYPE', key)) as string;
        if (type === 'string') out[key] = await client.call('GET', key);
        else if (type === 'hash') out[key] = await client.call('HGETALL', key);
        else if (type === 'zset') out[key] = await client.call('ZRANGE', key, 0, -1, 'WITHSCORES');
        else if (type === 'set') out[key] = await client.call('SMEMBERS', key);
      }
      return JSON.stringify(out);
    },
    readVersion: async (key) => ((await adapter.getRecords([{ kind: 'version', ...key }]))[0]?.record as VersionRecord) ?? null,
    async writeVersion(record) {
      const key = versionKey(record.tenant, record.path, record.version);
      if ((await client.call('EXISTS', key)) !== 1) throw new Error('backdoor: no such version row');
      await client.call('HSET', key, ...recordFields(record));
    },
    auditEvents: events,
    async patchAuditEvent(tenant, id, patch) {
      const json = (await client.call('HGET', ev(tenant), id)) as string | null;
      if (json === null) throw new Error('backdoor: no such audit event');
      await store({ ...decodeEvent(json), ...patch });
    },
    async deleteAuditEvent(tenant, id) {
      await client.call('HDEL', ev(tenant), id);
      await client.call('ZREM', zset(tenant, 'seq'), id);
      await client.call('ZREM', zset(tenant, 'time'), id);
    },
    insertAuditEvent: store,
    async renumberAudit(tenant) {
      const all = await events(tenant);
      for (const [i, event] of all.entries()) if (event.seq !== i + 1) await store({ ...event, seq: i + 1 });
      await client.call('SET', `${adapter.base(tenant)}n`, all.length);
    },
  };
}

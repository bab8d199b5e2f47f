/**
 * The conformance suite's view of what Redis really holds: every key under the prefix, read and
 * written directly. Not for applications.
 */
import { type AuditEvent, outcomeLabel, type VersionRecord } from '@agentvault/core';
import type { StorageBackdoor } from '@agentvault/core/testing';
import type { RedisClientLike } from './client';
import { auditMember, decodeEvent, decodeVersion, encodeEvent, namespacesOf, type Reply } from './codec';

/** Every key under `prefix`, by SCAN (never KEYS, which blocks the server). */
export async function keysUnder(client: RedisClientLike, prefix: string): Promise<string[]> {
  return scanKeys(client, prefix, '*');
}

/** Keys starting with `prefix` (taken literally) and matching the glob `rest` after it, by SCAN. */
export async function scanKeys(client: RedisClientLike, prefix: string, rest: string): Promise<string[]> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}${rest}`;
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = (await client.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)) as [
      string,
      string[],
    ];
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  // SCAN may return a key twice.
  return [...new Set(keys)];
}

/** A stored value as text: UTF-8 when it is valid UTF-8, else base64. */
function render(value: Reply): unknown {
  if (Array.isArray(value)) return value.map(render);
  if (!Buffer.isBuffer(value)) return value;
  const utf8 = value.toString('utf8');
  return Buffer.from(utf8, 'utf8').equals(value) ? utf8 : `base64:${value.toString('base64')}`;
}

export function redisBackdoor(client: RedisClientLike, prefix: string): StorageBackdoor {
  const base = (tenant: string) => `${prefix}t:${tenant}:`;
  const fieldsOf = (n: number) => ['c', 'k', 'w', 't', 'b', 'r'].map((f) => `${n}:${f}`);

  async function readEvent(id: string): Promise<AuditEvent | null> {
    const raw = (await client.call('GET', `${prefix}e:${id}`)) as string | null;
    return raw === null ? null : decodeEvent(raw);
  }

  return {
    async dump() {
      const out: Record<string, unknown> = {};
      for (const key of (await keysUnder(client, prefix)).sort()) {
        const type = (await client.call('TYPE', key)) as string;
        let value: Reply = null;
        if (type === 'string') value = (await client.callBuffer('GET', key)) as Reply;
        else if (type === 'hash') value = (await client.callBuffer('HGETALL', key)) as Reply;
        else if (type === 'zset') value = (await client.callBuffer('ZRANGE', key, 0, -1)) as Reply;
        out[key] = render(value);
      }
      return JSON.stringify(out);
    },

    async readVersion({ tenant, path, version }) {
      const values = (await client.callBuffer(
        'HMGET',
        `${base(tenant)}v:${path}`,
        ...fieldsOf(version),
      )) as Reply[];
      if (values[0] === null) return null;
      return decodeVersion(tenant, path, version, values);
    },

    async writeVersion(record: VersionRecord) {
      const key = `${base(record.tenant)}v:${record.path}`;
      const n = record.version;
      if ((await client.call('HEXISTS', key, `${n}:c`)) !== 1)
        throw new Error('backdoor: no such version row');
      await client.call(
        'HSET',
        key,
        `${n}:c`,
        Buffer.from(record.ciphertext),
        `${n}:k`,
        record.wrappedKey.keyId,
        `${n}:w`,
        Buffer.from(record.wrappedKey.ciphertext),
        `${n}:t`,
        String(record.createdAt),
        `${n}:b`,
        record.createdBy,
      );
      if (record.retiresAt === null) await client.call('HDEL', key, `${n}:r`);
      else await client.call('HSET', key, `${n}:r`, String(record.retiresAt));
    },

    async patchAuditEvent(_tenant, id, patch) {
      const event = await readEvent(id);
      if (!event) throw new Error('backdoor: no such audit event');
      const patched = { ...event, ...patch };
      await client.call('SET', `${prefix}e:${id}`, encodeEvent(patched, outcomeLabel(patched)));
    },

    async deleteAuditEvent(tenant, id) {
      const event = await readEvent(id);
      if (!event) return;
      const k = base(tenant);
      const member = auditMember(event.timestamp, id);
      const sets = [`${k}ev`, `${k}ev:a:${event.actor}`, `${k}ev:y:${event.type}`, `${k}ev:f`];
      if (event.path === null) sets.push(`${k}ev:np`);
      else {
        sets.push(`${k}ev:p:${event.path}`, ...namespacesOf(event.path).map((ns) => `${k}ev:n:${ns}`));
      }
      await client.call('DEL', `${prefix}e:${id}`);
      await client.call('ZREM', `${k}ch:${event.chain}`, id);
      for (const set of sets) await client.call('ZREM', set, member);
    },
  };
}

/** Delete every key under `prefix` (SCAN + UNLINK); for tests and tear-down of a test prefix. */
export async function deleteKeysUnder(client: RedisClientLike, prefix: string): Promise<number> {
  const keys = await keysUnder(client, prefix);
  for (let i = 0; i < keys.length; i += 500) await client.call('UNLINK', ...keys.slice(i, i + 500));
  return keys.length;
}

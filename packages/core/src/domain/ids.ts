import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';

// ulid draws one random number per character; drawing them from a pooled CSPRNG buffer instead of
// a crypto call each keeps id generation off the hot path's profile.
const pool = new Uint32Array(2048);
let next = pool.length;
function pooledRandom(): number {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  return pool[next++]! / 0x1_0000_0000;
}

const nextUlid = monotonicFactory(pooledRandom);

/** A new sortable id with a type prefix: `evt_01J…`, `apr_01J…`, `tok_01J…`, `key_01J…`. */
export function newId(prefix: 'evt' | 'apr' | 'tok' | 'key' | 'whd'): string {
  return `${prefix}_${nextUlid()}`;
}

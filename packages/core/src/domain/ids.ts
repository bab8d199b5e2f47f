import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** A new sortable id with a type prefix: `evt_01J…`, `apr_01J…`, `tok_01J…`, `key_01J…`. */
export function newId(prefix: 'evt' | 'apr' | 'tok' | 'key'): string {
  return `${prefix}_${nextUlid()}`;
}

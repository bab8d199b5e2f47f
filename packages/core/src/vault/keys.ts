/** Key-encryption-key rotation: move every wrapped data key to the wrapper's current key. */
import { z } from 'zod';
import type { WrappedKey } from '../contracts/records';
import type { VersionKey } from '../contracts/storage';
import { secretContext } from '../crypto/context';
import { callShape } from '../schemas/secrets';
import { appendEvent, operation, successEvent } from './auditing';
import { conflictOf, getRecord, put } from './records';
import { requireRole } from './authorization';
import type { Runtime } from './runtime';

const rewrapOptionsSchema = z.strictObject({
  /** Re-wrap keys already under the current key id too (e.g. after the KMS rotated that key's material). */
  all: z.boolean().default(false),
  ...callShape,
});
export type RewrapOptions = z.input<typeof rewrapOptionsSchema>;

export interface RewrapResult {
  /** Data keys now wrapped under `keyId`. */
  rewrapped: number;
  /** Versions that changed or disappeared while the pass ran (left as they were). */
  skipped: number;
  keyId: string;
}

const PAGE = 100;

export function keyOperations(rt: Runtime) {
  /** Store `next` as the version's wrapped key if the row is still at the rev listed; false if it changed or went away. */
  async function replaceWrappedKey(item: VersionKey & { rev: number }, next: WrappedKey): Promise<boolean> {
    const stored = await getRecord(rt.storage, { kind: 'version', tenant: item.tenant, path: item.path, version: item.version });
    if (!stored || stored.rev !== item.rev) return false;
    try {
      await rt.storage.commit({ writes: [put('version', { ...stored.record, wrappedKey: next }, stored.rev)], events: [] });
      return true;
    } catch (error) {
      if (conflictOf(error) !== null) return false;
      throw error;
    }
  }

  /**
   * Re-wrap every data key of every tenant under the current key without touching a ciphertext.
   * Safe to run while the vault serves traffic, and to run again after an interruption.
   */
  async function rewrap(options?: RewrapOptions): Promise<RewrapResult> {
    return operation(
      rt,
      { type: 'key.rewrap', path: null },
      rewrapOptionsSchema,
      options,
      async (call, opts) => {
        requireRole(call, 'admin', 're-wrap data keys');
        const keyId = rt.keys.currentKeyId();
        let after: VersionKey | null = null;
        let rewrapped = 0;
        let skipped = 0;
        for (;;) {
          const page = await rt.storage.listWrappedKeys({
            after,
            limit: PAGE,
            ...(opts.all ? {} : { notKeyId: keyId }),
          });
          for (const item of page) {
            const next = await rt.keys.rewrap(
              item.wrappedKey,
              secretContext(item.tenant, item.path, item.version),
            );
            if (await replaceWrappedKey(item, next)) rewrapped++;
            else skipped++;
          }
          const last = page.at(-1);
          if (!last || page.length < PAGE) break;
          after = { tenant: last.tenant, path: last.path, version: last.version };
        }
        await appendEvent(
          rt,
          successEvent(rt, call, 'key.rewrap', null, null, { rewrapped, skipped, keyId }),
        );
        return { rewrapped, skipped, keyId };
      },
    );
  }

  return { rewrap };
}

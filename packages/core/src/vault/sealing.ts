/** Sealing a new version under a fresh data key, and opening a stored one through the data-key cache. */
import type { VersionRecord } from '../contracts/records';
import { secretContext, secretContextText } from '../crypto/context';
import { DataKeyCache } from '../crypto/dek-cache';
import { openValue, sealValue } from '../crypto/envelope';
import type { CallContext } from './authorization';
import type { Runtime } from './runtime';

/** Encrypt `value` as version `number` of `path`, under its own data key (one key-wrapper call). */
export async function sealVersion(
  rt: Runtime,
  call: CallContext,
  path: string,
  number: number,
  value: string,
  now: number,
): Promise<VersionRecord> {
  const { dataKey, wrapped } = await rt.keys.generateDataKey(secretContext(call.tenant, path, number));
  const text = secretContextText(call.tenant, path, number);
  rt.dataKeys.set(DataKeyCache.keyFor(wrapped, text), dataKey);
  return {
    tenant: call.tenant,
    path,
    version: number,
    ciphertext: sealValue(dataKey, value, text),
    wrappedKey: wrapped,
    createdAt: now,
    createdBy: call.actor,
    retiresAt: null,
  };
}

/** Decrypt a version's value; synchronous when its data key is cached. */
export function openVersion(rt: Runtime, version: VersionRecord): string | Promise<string> {
  const text = secretContextText(version.tenant, version.path, version.version);
  const cached = rt.dataKeys.get(DataKeyCache.keyFor(version.wrappedKey, text), () =>
    rt.keys.unwrap(version.wrappedKey, secretContext(version.tenant, version.path, version.version)),
  );
  // A cache hit is used before any await, so eviction can never wipe it mid-use.
  if (!(cached instanceof Promise)) return openValue(cached, version.ciphertext, text);
  return cached.then((dataKey) => openValue(dataKey, version.ciphertext, text));
}

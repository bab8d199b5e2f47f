import type { EncryptionContext } from '../contracts/key-wrapper';

/** The binding of one secret version: its ciphertext and data key are useless under any other. */
export function secretContext(tenant: string, path: string, version: number): EncryptionContext {
  return { tenant, path, version: String(version) };
}

/** Deterministic text of a context: JSON of its entries, keys sorted. */
export function canonicalContextText(context: EncryptionContext): string {
  const keys = Object.keys(context).sort();
  return JSON.stringify(keys.map((key) => [key, context[key]]));
}

/** `canonicalContextText(secretContext(tenant, path, version))`, written out for the read path. */
export function secretContextText(tenant: string, path: string, version: number): string {
  return `[["path",${JSON.stringify(path)}],["tenant",${JSON.stringify(tenant)}],["version","${version}"]]`;
}

/** Canonical bytes of a context, for services that take opaque additional authenticated data. */
export function canonicalContext(context: EncryptionContext): Uint8Array {
  return Buffer.from(canonicalContextText(context), 'utf8');
}

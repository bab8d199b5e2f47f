/**
 * Records as JSON text. Bytes (`Uint8Array`, `Buffer`) become `{ "$b": base64 }`; only the kinds
 * that hold bytes (versions, audit seals) pay for the walk that turns them back, so the hot read's
 * secret and every event parse as plain JSON.
 */

/** The kinds whose records hold bytes. */
const WITH_BYTES = new Set(['version', 'audit_seal']);

export function encode(value: unknown): string {
  return JSON.stringify(value, function replacer(this: Record<string, unknown>, key, encoded: unknown) {
    // `this[key]` is the value before Buffer#toJSON ran.
    const original = this[key];
    if (!(original instanceof Uint8Array)) return encoded;
    return { $b: Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64') };
  });
}

function revive(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  if (typeof object['$b'] === 'string') return new Uint8Array(Buffer.from(object['$b'], 'base64'));
  for (const key in object) {
    const inner = object[key];
    if (inner !== null && typeof inner === 'object') object[key] = revive(inner);
  }
  return value;
}

/** A record of `kind` from its JSON text. */
export function decode<T>(text: string, kind?: string): T {
  const value = JSON.parse(text) as unknown;
  return (kind !== undefined && WITH_BYTES.has(kind) ? revive(value) : value) as T;
}

/** Records as JSON text: bytes (`Uint8Array`, `Buffer`) become `{ "$b": base64 }` and come back as Uint8Array. */

export function encode(value: unknown): string {
  return JSON.stringify(value, function replacer(this: Record<string, unknown>, key, encoded: unknown) {
    // `this[key]` is the value before Buffer#toJSON ran.
    const original = this[key];
    return original instanceof Uint8Array ? { $b: Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64') } : encoded;
  });
}

export function decode<T>(text: string): T {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && '$b' in value && typeof (value as { $b: unknown }).$b === 'string') {
      return new Uint8Array(Buffer.from((value as { $b: string }).$b, 'base64'));
    }
    return value;
  }) as T;
}

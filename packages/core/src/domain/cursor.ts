/** Opaque pagination cursors: base64url JSON that only the vault reads. */
import type { z } from 'zod';
import { AgentVaultValidationError } from '../errors';

export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    throw new AgentVaultValidationError('Invalid cursor', [
      { path: ['cursor'], message: 'not a cursor this vault issued' },
    ]);
  }
  return result.data;
}

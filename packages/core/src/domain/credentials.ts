/**
 * Credential values: 256 random bits behind a recognisable prefix. Only the SHA-256 of a value is
 * stored (a slow hash buys nothing for 256-bit random values), and lookup is by that hash.
 */
import { createHash, randomBytes } from 'node:crypto';

export const AGENT_KEY_PREFIX = 'ass_live_';
export const TOKEN_PREFIX = 'ast_tok_';

export function newAgentKeyValue(): string {
  return AGENT_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function newTokenValue(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashCredential(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

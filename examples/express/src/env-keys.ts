/**
 * Agent keys given in the environment (`AGENTVAULT_ROOT_KEY`, `AGENTVAULT_APPROVER_KEY`). The vault
 * only knows keys it minted itself, so these are checked by the handler's `authenticate` hook:
 * a request bearing one acts as the host principal `user:root` (admin) or `user:approver`. They
 * are compared by SHA-256 in constant time and never stored; to rotate one, change the variable.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Principal } from '@agentvault/core';

export interface EnvKey {
  value: string;
  principal: Principal;
}

const KEY_FORMAT = /^ass_live_[A-Za-z0-9_-]{32,}$/;
const digest = (text: string) => createHash('sha256').update(text).digest();

export function envKey(name: string, value: string | undefined, principal: Principal): EnvKey | null {
  if (!value) return null;
  if (!KEY_FORMAT.test(value))
    throw new Error(`${name} must look like ass_live_ followed by at least 32 characters of [A-Za-z0-9_-]`);
  return { value, principal };
}

/** The principal whose env key is the request's Bearer credential, or null (the vault checks other credentials). */
export function envKeyAuthenticator(keys: EnvKey[]): (authorization: string | undefined) => Principal | null {
  const digests = keys.map((key) => ({ digest: digest(key.value), principal: key.principal }));
  return (authorization) => {
    const match = authorization && /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) return null;
    const presented = digest(match[1]!);
    return digests.find((key) => timingSafeEqual(key.digest, presented))?.principal ?? null;
  };
}

/**
 * Server-side sessions of the standalone sign-in. The cookie holds only a random id; the store
 * keys sessions by the id's SHA-256, keeps the principal (never the key it was signed in with)
 * and the session's CSRF token, and forgets a session at its deadline or after idling too long.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Principal } from '@agentvault/core';

export interface Session {
  principal: Principal;
  /** The synchronizer token every form of this session carries. */
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

export interface SessionStoreOptions {
  /** Absolute lifetime of a session. Default 8 hours. */
  ttlSeconds?: number;
  /** A session unused this long ends. Default 30 minutes. */
  idleSeconds?: number;
  /** At most this many live sessions; the oldest goes first. Default 10,000. */
  maxSessions?: number;
  now?: () => number;
}

export interface SessionStore {
  create(principal: Principal): { id: string; session: Session };
  get(id: string): Session | null;
  destroy(id: string): void;
  /** End every session of this principal (e.g. its agent key was revoked). */
  destroyWhere(match: (principal: Principal) => boolean): void;
}

export const randomToken = (): string => randomBytes(32).toString('base64url');
const digest = (id: string): string => createHash('sha256').update(id).digest('base64url');

export function memorySessionStore(options: SessionStoreOptions = {}): SessionStore {
  const ttl = (options.ttlSeconds ?? 8 * 3600) * 1000;
  const idle = (options.idleSeconds ?? 30 * 60) * 1000;
  const max = options.maxSessions ?? 10_000;
  const now = options.now ?? Date.now;
  const sessions = new Map<string, Session>();

  function sweep(at: number): void {
    for (const [key, session] of sessions)
      if (session.expiresAt <= at || session.lastSeenAt + idle <= at) sessions.delete(key);
    while (sessions.size >= max) sessions.delete(sessions.keys().next().value!);
  }

  return {
    create(principal) {
      const at = now();
      sweep(at);
      const id = randomToken();
      const session: Session = { principal, csrf: randomToken(), createdAt: at, lastSeenAt: at, expiresAt: at + ttl };
      sessions.set(digest(id), session);
      return { id, session };
    },
    get(id) {
      const key = digest(id);
      const session = sessions.get(key);
      if (!session) return null;
      const at = now();
      if (session.expiresAt <= at || session.lastSeenAt + idle <= at) {
        sessions.delete(key);
        return null;
      }
      session.lastSeenAt = at;
      return session;
    },
    destroy(id) {
      sessions.delete(digest(id));
    },
    destroyWhere(match) {
      for (const [key, session] of sessions) if (match(session.principal)) sessions.delete(key);
    },
  };
}

/**
 * Who is calling. Every operation runs as one principal, and the audit trail names it by id
 * (`actor`), never by credential.
 */
import type { Role, TokenRecord } from '../contracts/records';

export type Principal =
  /** A trusted in-process caller (the host application), attributed as `app:<name>`. */
  | { kind: 'app'; name: string; tenant: string }
  /** A human or service the host authenticated itself (e.g. an approver in its dashboard): `user:<id>`. */
  | { kind: 'user'; id: string; tenant: string; roles: readonly Role[]; description?: string | null }
  /** An agent key (`ass_live_…`): `key:<id>`. */
  | { kind: 'key'; id: string; tenant: string; roles: readonly Role[]; description: string | null }
  /** A scoped token (`ast_tok_…`): `token:<id>`. */
  | { kind: 'token'; id: string; tenant: string; token: TokenRecord };

export function actorOf(principal: Principal): string {
  switch (principal.kind) {
    case 'app':
      return `app:${principal.name}`;
    case 'user':
      return `user:${principal.id}`;
    case 'key':
      return `key:${principal.id}`;
    case 'token':
      return `token:${principal.id}`;
  }
}

export function describePrincipal(principal: Principal): string | null {
  switch (principal.kind) {
    case 'app':
      return null;
    case 'user':
      return principal.description ?? null;
    case 'key':
      return principal.description;
    case 'token':
      return principal.token.description;
  }
}

/** Does the principal hold `role`? Trusted in-process callers hold every role. */
export function hasRole(principal: Principal, role: Role): boolean {
  if (principal.kind === 'app') return true;
  if (principal.kind === 'token') return false;
  return principal.roles.includes(role);
}
